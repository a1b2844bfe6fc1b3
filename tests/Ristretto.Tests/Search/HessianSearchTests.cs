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
    public void Should_List_The_Best_Allocations_In_Order_And_Keep_A_Second_Limit()
    {
        var options = new Dictionary<string, IReadOnlyList<WidthOption>>
        {
            ["a"] = [new(8, 0.0, 80, Held: 8), new(4, 5.0, 40, Held: 4), new(2, 50.0, 20, Held: 2)],
            ["b"] = [new(8, 0.0, 80, Held: 8), new(4, 0.1, 40, Held: 4), new(2, 0.2, 20, Held: 2)],
        };
        var best = BitAllocation.Best(options, 100, 4);
        Assert.Equal([0.2, 5.1, 5.2, 50.0], best.Select(b => Math.Round(b.Sensitivity, 6)));
        Assert.Equal(new Dictionary<string, int> { ["a"] = 8, ["b"] = 2 }, best[0].Widths);
        Assert.All(best, b => Assert.True(b.Cost <= 100));
        Assert.Single(BitAllocation.Best(options, 1000, 20), b => b.Sensitivity == 0.0); // each allocation listed once
        Assert.Equal(9, BitAllocation.Best(options, 1000, 20).Count);
        var held = BitAllocation.Best(options, 1000, 1, heldLimit: 6);
        Assert.Equal(new Dictionary<string, int> { ["a"] = 4, ["b"] = 2 }, held[0].Widths);
        Assert.Empty(BitAllocation.Best(options, 1000, 1, heldLimit: 3));
    }

    [Fact]
    public void A_Diverse_List_Should_Not_Crowd_With_The_Variants_Of_One_Allocation_In_A_Cheap_Layer()
    {
        // c is nearly free and has many near-equal widths: the plain list is a and b's best with each of c's widths.
        var options = new Dictionary<string, IReadOnlyList<WidthOption>>
        {
            ["a"] = [new(8, 0.0, 80), new(4, 1.0, 40), new(2, 3.0, 20)],
            ["b"] = [new(8, 0.0, 80), new(4, 1.2, 40), new(2, 3.5, 20)],
            ["c"] = [new(8, 0.00, 2), new(7, 0.01, 2), new(6, 0.02, 2), new(5, 0.03, 1), new(4, 0.04, 1)],
        };
        static int Differ(Allocation x, Allocation y) => x.Widths.Count(kv => y.Widths[kv.Key] != kv.Value);
        var plain = BitAllocation.Best(options, 122, 5);
        Assert.All(plain, p => Assert.Equal((4, 8), (p.Widths["a"], p.Widths["b"]))); // one core, c varied
        var diverse = BitAllocation.Best(options, 122, 5, differIn: 2);
        Assert.Equal(plain[0].Widths, diverse[0].Widths);
        for (int i = 0; i < diverse.Count; i++)
            for (int j = 0; j < i; j++)
                Assert.True(Differ(diverse[i], diverse[j]) >= 2, $"allocations {j} and {i} differ in one layer");
        Assert.True(diverse.Select(d => (d.Widths["a"], d.Widths["b"])).Distinct().Count() >= 3);
    }

    [Theory]
    [InlineData(BudgetKind.MemoryKib)]
    [InlineData(BudgetKind.EnergyMicrojoules)]
    public void Energy_And_Memory_Budgets_Should_Hold_By_The_Cost_Model_Report_Uses(BudgetKind kind)
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 4, 64);
        var search = new HessianSearch(trained.Net, ranges, trained.Test, 2, 100, trained.Train) { ProbeCount = 2, ProbeImages = 32 };
        var traces = search.Traces(search.Probes().Select(search.Measure).ToList());
        var layers = traces.Keys.ToList();
        // Synthetic activation sensitivities: narrower is worse; the program trades them against the weights'.
        var activationLoss = layers.SelectMany(l => HessianSearch.ActivationWidths.Select(a => (l, a))).ToDictionary(x => x, x => 1.0 / x.a);
        var allFour = search.Plan(layers.ToDictionary(k => k, _ => (4, 8)));
        double budget = search.CostOf(allFour, kind);
        var allocations = search.Allocate(traces, activationLoss, null, new AllocationBudget(kind, budget), 6);
        Assert.NotEmpty(allocations);
        Assert.Equal(allocations.OrderBy(a => a.Sensitivity).Select(a => a.Sensitivity), allocations.Select(a => a.Sensitivity));
        foreach (var a in allocations)
        {
            var plan = search.Plan(a.Widths.ToDictionary(kv => kv.Key, kv => (kv.Value / 100, kv.Value % 100)));
            var cost = Ristretto.Hardware.NetworkCostModel.Compute(trained.Net, plan);
            double actual = kind == BudgetKind.MemoryKib ? (cost.WeightBits + cost.ExtraParameterBits) / 8.0 / 1024 : cost.Energy.Total / 1e6;
            Assert.Equal(actual, search.CostOf(plan, kind), 9);
            Assert.True(actual <= budget * (1 + 1e-9), $"{kind}: {actual} over the budget {budget}");
            if (kind == BudgetKind.MemoryKib)
                Assert.Equal(actual, a.Cost, 6); // per-layer terms are exact
            else
                Assert.True(actual <= a.Cost * (1 + 1e-9), $"energy {actual} above the program's {a.Cost}");
        }
        Assert.Throws<RistrettoException>(() => search.Run(new AllocationBudget(kind, budget / 1000)));
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
        Assert.Equal(1 + Math.Min(search.Finalists, result.Candidates.Count), result.Evaluations);
        Assert.Single(result.Candidates, c => c.Kept);
        Assert.All(result.Candidates, c => Assert.True(c.Cost <= allFour * (1 + 1e-9), $"candidate {c.Rank} costs {c.Cost}"));
        Assert.Equal(result.Candidates.OrderBy(c => c.Sensitivity).Select(c => c.Rank), result.Candidates.Select(c => c.Rank));
        Assert.True(result.PassEquivalents > 2 && double.IsFinite(result.PassEquivalents), $"{result.PassEquivalents}"); // probes are large against a 200-image test set
    }

    [Fact]
    public void Should_Spend_A_Budget_Between_Power_Of_Two_Plans_With_The_Widths_Between_Them()
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 4, 64);
        var search = new HessianSearch(trained.Net, ranges, trained.Test, 2, 100, trained.Train) { ProbeCount = 2, ProbeImages = 32 };
        var traces = search.Traces(search.Probes().Select(search.Measure).ToList());
        var layers = traces.Keys.ToList();
        Assert.Contains(search.WeightProbes(), p => p.Bits == 3);
        Assert.Contains(search.ActivationProbes(), p => p.Bits == 5);
        // Narrower is worse, smoothly: the budget of 3-bit weights and 5-bit activations everywhere is best spent on
        // widths a power-of-two ladder does not have, and better than any power-of-two allocation within it.
        var activationLoss = layers.SelectMany(l => HessianSearch.ActivationWidths.Select(a => (l, a))).ToDictionary(x => x, x => Math.Pow(2, -x.a));
        double budget = Ristretto.Hardware.BitOperations.Of(search.Plan(layers.ToDictionary(k => k, _ => (3, 5))), Ristretto.Hardware.BitOperations.Macs(trained.Net));
        var best = search.Allocate(traces, activationLoss, null, new AllocationBudget(BudgetKind.Bops, budget), 1)[0];
        Assert.Contains(best.Widths.Values, code => !int.IsPow2(code / 100) || !int.IsPow2(code % 100));
        var options = search.Options(traces, activationLoss);
        var powersOfTwo = options.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<WidthOption>)kv.Value.Where(o => int.IsPow2(o.Bits / 100) && int.IsPow2(o.Bits % 100)).ToList());
        var ladder = BitAllocation.Best(powersOfTwo, budget, 1)[0];
        Assert.True(best.Sensitivity < ladder.Sensitivity, $"{best.Sensitivity} vs the power-of-two widths' {ladder.Sensitivity}");
        Assert.True(best.Cost <= budget * (1 + 1e-9));
    }

    [Theory]
    [InlineData("bops=0")]
    [InlineData("flops=3")]
    [InlineData("energy-uj=-5")]
    [InlineData("memory-kib=")]
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
