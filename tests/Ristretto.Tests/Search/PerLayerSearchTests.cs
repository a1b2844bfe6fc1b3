using Ristretto.Data;
using Ristretto.Hardware;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;
using Ristretto.Training;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Search;

public class PerLayerSearchTests
{
    [Fact]
    public void Should_Count_Bops_As_Macs_Times_Weight_And_Input_Bits()
    {
        using var net = LeNet.Build();
        var macs = BitOperations.Macs(net);
        Assert.Equal(2_293_000L * 32 * 32, BitOperations.Of(QuantizationPlan.Float, macs));
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["conv1"] = new(new Ristretto.Formats.DynamicFixedPoint(8, 4), null, new Ristretto.Formats.DynamicFixedPoint(4, 2)),
        });
        Assert.Equal(288_000.0 * 8 * 4 + (2_293_000 - 288_000) * 32.0 * 32, BitOperations.Of(plan, macs));
    }

    [Fact]
    public void Should_Find_A_Plan_Within_The_Margin_That_Costs_Less_Than_All_16_Bit()
    {
        using var trained = new TrainedLeNet();
        var search = new PerLayerSearch(trained.Net, Calibration.Measure(trained.Net, trained.Train, 4, 64), trained.Test, 2, 100);
        var r = search.Run(marginPoints: 2);
        Assert.True(r.Final.Top1 >= r.Baseline.Top1 - 0.02);
        var all16 = r.Scored.Single(p => p.Description == "all layers 16/16");
        Assert.True(r.Final.Bops < all16.Bops);
        Assert.Equal(search.Cost(r.Plan), r.Final.Bops);
        // The front is sorted by cost and each point is more accurate than every cheaper one.
        Assert.True(r.ParetoFront.Zip(r.ParetoFront.Skip(1)).All(p => p.First.Bops <= p.Second.Bops && p.First.Top1 < p.Second.Top1));
        Assert.Contains(r.ParetoFront, p => p.Description == "float32" || p.Top1 >= r.Baseline.Top1);
        var again = search.Run(marginPoints: 2);
        Assert.Equal(r.Widths, again.Widths); // deterministic
    }

    [Fact]
    public void Should_Stop_At_The_Time_Budget_And_Keep_The_Last_Accepted_Plan()
    {
        using var data = new TensorImageSet(SyntheticDigits.Create(200, seed: 2), CPU);
        using var net = LeNet.Build(seed: 3);
        var search = new PerLayerSearch(net, Calibration.Measure(net, data, 2, 64), data, 1, 100);
        var r = search.Run(marginPoints: 100, timeBudget: TimeSpan.Zero);
        Assert.True(r.BudgetExhausted);
        Assert.Equal(2, r.Evaluations); // baseline and the all-16-bit start
        Assert.All(r.Widths.Values, w => Assert.Equal((16, 16), w));
    }
}
