using Ristretto.Jobs;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Search;

/// <summary>Issue 15 part 5: the integer program and the Hessian-guided allocation.</summary>
public class HessianSearchTests
{
    [Fact]
    public void Should_Minimise_Summed_Sensitivity_Within_The_Budget()
    {
        var options = new Dictionary<string, IReadOnlyList<WidthOption>>
        {
            // a is sensitive, b is not: the budget goes to a.
            ["a"] = [new(8, 0.0, 80), new(4, 5.0, 40), new(2, 50.0, 20)],
            ["b"] = [new(8, 0.0, 80), new(4, 0.1, 40), new(2, 0.2, 20)],
        };
        Assert.Equal(new Dictionary<string, int> { ["a"] = 8, ["b"] = 2 }, BitAllocation.Solve(options, 100));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 4, ["b"] = 4 }, BitAllocation.Solve(options, 99));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 4, ["b"] = 2 }, BitAllocation.Solve(options, 60));
        Assert.Null(BitAllocation.Solve(options, 39));
    }

    [Fact]
    public void Should_Allocate_Within_The_Bops_Budget_And_Count_Its_Cost()
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 4, 64);
        var search = new HessianSearch(trained.Net, ranges, trained.Test, 2, 100, trained.Train) { ProbeCount = 4, ProbeImages = 64 };
        var traces = search.Traces(search.Probes().Select(search.Measure).ToList());
        Assert.All(traces.Values, t => Assert.True(t > 0 && double.IsFinite(t)));
        var macs = Ristretto.Hardware.BitOperations.Macs(trained.Net);
        double allFour = Ristretto.Hardware.BitOperations.Of(search.Plan(macs.Keys.ToDictionary(k => k, _ => (4, 8))), macs);
        Assert.Equal(macs.Count * HessianSearch.ActivationWidths.Length, search.ActivationProbes().Count);
        var result = search.Run(allFour);
        Assert.True(result.Bops <= allFour, $"{result.Bops} BOPs over the budget {allFour}");
        Assert.Equal(2, result.Evaluations);
        Assert.True(result.PassEquivalents > 2 && double.IsFinite(result.PassEquivalents), $"{result.PassEquivalents}"); // probes are large against a 200-image test set
    }

    [Theory]
    [InlineData("bops=0")]
    [InlineData("flops=3")]
    [InlineData("energy-uj=5")]
    public void Should_Refuse_Bad_Budgets_In_One_Line(string text)
    {
        var e = Assert.Throws<RistrettoException>(() => SearchBudget.Parse(text));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("--budget", e.Message);
    }

    [Fact]
    public void Should_Need_A_Budget_For_The_Hessian_Search_And_Out_For_A_Plan_With_Changed_Weights()
    {
        Assert.Throws<RistrettoException>(() => new QuantizeSettings { Search = SearchKind.Hessian }.Validate());
        Assert.Throws<RistrettoException>(() => new QuantizeSettings { Budget = SearchBudget.Parse("bops=1e6") }.Validate());
        Assert.Throws<RistrettoException>(() => new QuantizeSettings { AdaRound = true, PlanPath = "p.json" }.Validate());
        Assert.Throws<RistrettoException>(() => new QuantizeSettings { OutPath = "m.rstm" }.Validate());
        new QuantizeSettings { Search = SearchKind.Hessian, Budget = SearchBudget.Parse("bops=1e6") }.Validate();
        new QuantizeSettings { Equalize = true, PlanPath = "p.json", OutPath = "m.onnx" }.Validate();
    }
}
