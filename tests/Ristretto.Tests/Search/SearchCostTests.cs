using Ristretto.Data;
using Ristretto.Jobs;
using Ristretto.Search;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Search;

/// <summary>
/// Issue 15: the searches' cost in one unit, float-pass equivalents over the evaluated set, counting everything each
/// ran: the greedy per-layer search's includes the per-type sweeps it starts from, every search's includes the range
/// calibration, the Hessian allocation's its calibration-loss passes and Hessian-vector products.
/// </summary>
[Collection("cli")]
public sealed class SearchCostTests
{
    [Fact]
    public void Should_Count_Evaluations_Forward_Images_And_Hessian_Vector_Products_In_Float_Passes()
    {
        var cost = new SearchCost(3, 1000, CalibrationImages: 500, LossImages: 2000, ProductImages: 250);
        Assert.Equal(3 + (500 + 2000 + 4 * 250) / 1000.0, cost.PassEquivalents, 12);
        var both = cost.Plus(new SearchCost(2, 1000, LossImages: 1000));
        Assert.Equal(cost.PassEquivalents + 3, both.PassEquivalents, 12);
        Assert.Contains("5 evaluations", both.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_Greedy_Search_Should_Count_The_Sweeps_It_Starts_From_And_Both_Searches_The_Calibration()
    {
        using var data = SyntheticDigits.WriteDataset(train: 128, test: 50);
        using var dir = new TempDir();
        double budget = LeNetFile.Write(dir.File("m.rstm"), trainIterations: 20);
        var settings = new QuantizeSettings
        {
            Model = dir.File("m.rstm"), Device = "cpu", DataGiven = true, Search = SearchKind.PerLayer,
            Data = new DataSettings { Data = data.Path, CalibrationImages = 32, Streaming = new StreamingOptions { Workers = 1 } }.Validate(),
        };
        var greedy = Quantizer.Run(settings);
        var (layered, _) = greedy.PerLayer!.Value;
        Assert.Equal(greedy.Sweeps!.Evaluations + layered.Evaluations, greedy.Cost!.Evaluations);
        Assert.True(greedy.Sweeps.Evaluations > 0 && layered.Evaluations > 0);
        Assert.Equal(32, greedy.Cost.CalibrationImages);
        Assert.Equal(greedy.Cost.Evaluations + 32 / 50.0, greedy.Cost.PassEquivalents, 9);
        var json = (Dictionary<string, object?>)greedy.ToJson()["search_cost"]!;
        Assert.Equal(greedy.Cost.PassEquivalents, (double)json["float_pass_equivalents"]!);

        var hessian = Quantizer.Run(settings with { Search = SearchKind.Hessian, Budget = SearchBudget.Parse(FormattableString.Invariant($"bops={budget:R}")) });
        var h = hessian.Hessian!;
        Assert.Equal(h.Evaluations, hessian.Cost!.Evaluations);
        Assert.Equal(h.PassEquivalents + 32 / 50.0, hessian.Cost.PassEquivalents, 9);
        Assert.True(h.Work.LossImages > 0 && h.Work.ProductImages > 0);
    }
}
