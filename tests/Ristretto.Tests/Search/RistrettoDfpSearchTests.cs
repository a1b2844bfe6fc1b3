using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Hardware;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;
using Ristretto.Training;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Search;

public class RistrettoDfpSearchTests
{
    [Fact]
    public void Should_Stop_Each_Sweep_At_The_First_Width_Below_The_Margin_And_Keep_The_Last_That_Passed()
    {
        using var trained = new TrainedLeNet();
        var (net, train, test) = (trained.Net, trained.Train, trained.Test);
        {
            var search = new RistrettoDfpSearch(net, Calibration.Measure(net, train, 4, 64), test, iterations: 2, batchSize: 100) { WidenToMargin = false };
            var r = search.Run(marginPoints: 1);
            double threshold = r.Baseline.Top1 - 0.01;
            foreach (var part in new[] { "conv weights", "fc weights", "activations" })
            {
                var points = r.Sweeps.Where(p => p.Part == part).ToList();
                Assert.Equal(RistrettoDfpSearch.Widths.Take(points.Count), points.Select(p => p.Bits));
                Assert.All(points.SkipLast(1), p => Assert.True(p.Top1 >= threshold));
                int? chosen = part switch { "conv weights" => r.ConvWeightBits, "fc weights" => r.FcWeightBits, _ => r.ActivationBits };
                if (points[^1].Top1 < threshold)
                    Assert.Equal(points.Count > 1 ? points[^2].Bits : null, chosen);
                else
                    Assert.Equal(1, chosen); // every width passed
            }
            Assert.Equal(1 + r.Sweeps.Count + 1, r.Evaluations);
            Assert.Equal((r.ConvWeightBits, r.FcWeightBits, r.ActivationBits), (r.Combined.Single().ConvWeightBits, r.Combined[0].FcWeightBits, r.Combined[0].ActivationBits));
            Assert.Equal(200, r.Baseline.Images);
            Assert.Equal(r.ConvWeightBits, ((DynamicFixedPoint?)r.Plan.Layers["conv1"].Weights)?.BitWidth);
            Assert.Equal(r.ActivationBits, ((DynamicFixedPoint?)r.Plan.Layers["ip2"].Output)?.BitWidth);
        }
    }

    [Theory]
    [InlineData(1.0, false, true)]
    [InlineData(45.0, true, true)] // conv weights pass alone at 1 bit (59 %), the combined 1/2/4 plan does not (47 %)
    [InlineData(45.0, true, false)]
    public void Should_Widen_The_Combined_Plan_Until_It_Meets_The_Margin_Keeping_The_Cheapest_Within_It_Else_The_Best(double margin, bool widens, bool cheapest)
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 4, 64);
        var ristretto = new RistrettoDfpSearch(trained.Net, ranges, trained.Test, 2, 100) { WidenToMargin = false }.Run(margin);
        var search = new RistrettoDfpSearch(trained.Net, ranges, trained.Test, 2, 100) { WidenToCheapest = cheapest };
        var r = search.Run(margin);
        Assert.Equal(cheapest, r.CheapestKept);
        var macs = BitOperations.Macs(trained.Net);
        double Bops(CombinedTry t) => BitOperations.Of(search.Plan(t.ConvWeightBits, t.FcWeightBits, t.ActivationBits), macs);
        double threshold = r.Baseline.Top1 - margin / 100;
        Assert.Equal(threshold, r.Threshold);
        Assert.True(r.MeetsMargin);

        // The sweeps and their choice are Ristretto's either way; widening only adds combined plans after it.
        Assert.Equal(ristretto.Sweeps, r.Sweeps);
        Assert.Equal(ristretto.Combined.Single(), r.Combined[0]);
        Assert.True(r.Quantized.Top1 >= threshold, $"chosen plan scores {r.Quantized.Top1} below {threshold}");
        Assert.Equal(1 + r.Sweeps.Count + r.Combined.Count, r.Evaluations);

        var kept = r.Combined.Where(t => t.Kept).ToList();
        if (widens)
            Assert.True(kept.Count > 1 && ristretto.Quantized.Top1 < threshold, $"expected this margin to need widening: {string.Join(", ", r.Combined)}");
        Assert.Equal(Enumerable.Range(0, kept.Count), kept.Select(t => t.Step));       // one kept plan per step
        Assert.All(kept.SkipLast(1), t => Assert.True(t.Top1 < threshold));          // widening went on only while below
        Assert.Equal((kept[^1].ConvWeightBits, kept[^1].FcWeightBits, kept[^1].ActivationBits, kept[^1].Top1),
            (r.ConvWeightBits, r.FcWeightBits, r.ActivationBits, r.Quantized.Top1));
        for (int step = 1; step < kept.Count; step++)
        {
            int?[] from = [kept[step - 1].ConvWeightBits, kept[step - 1].FcWeightBits, kept[step - 1].ActivationBits];
            var tried = r.Combined.Where(t => t.Step == step).ToList();
            // Every part that was not float32 yet, one width wider, the rest unchanged.
            var expected = Enumerable.Range(0, 3).Where(p => from[p] is not null).Select(p =>
            {
                int at = Array.IndexOf(RistrettoDfpSearch.Widths, from[p]!.Value);
                int?[] w = [.. from];
                w[p] = at > 0 ? RistrettoDfpSearch.Widths[at - 1] : null;
                return (w[0], w[1], w[2]);
            });
            Assert.Equal(expected, tried.Select(t => (t.ConvWeightBits, t.FcWeightBits, t.ActivationBits)));
            var within = tried.Where(t => t.Top1 >= threshold).ToList();
            var expectedKept = cheapest && within.Count > 0
                ? within.OrderBy(Bops).ThenByDescending(t => t.Top1).First() // stable: the first of equals
                : tried.First(t => t.Top1 == tried.Max(x => x.Top1));
            Assert.Equal(expectedKept, kept[step]);
        }
        // The chosen plan is what the result says.
        Assert.Equal(r.ConvWeightBits, ((DynamicFixedPoint?)r.Plan.Layers["conv1"].Weights)?.BitWidth);
        Assert.Equal(r.FcWeightBits, ((DynamicFixedPoint?)r.Plan.Layers["ip1"].Weights)?.BitWidth);
        Assert.Equal(r.ActivationBits, ((DynamicFixedPoint?)r.Plan.Layers["ip1"].Input)?.BitWidth);
    }

    /// <summary>
    /// The scores the default search measured on the LeNet of train seed 2 (2026-12-01, 10,000 MNIST test images): 2/2/8
    /// misses the margin (98.18 %); conv to 4 bits scores best (98.88 %) but fc to 4 bits (98.36 %) also meets the margin
    /// at 43.2 M BOPs instead of 66.9 M.
    /// </summary>
    [Theory]
    [InlineData(true, 2, 4)]
    [InlineData(false, 4, 2)]
    public void Should_Keep_The_Widening_Try_Of_Fewest_Bops_Within_The_Margin_Not_The_Best_Scoring(bool cheapest, int conv, int fc)
    {
        var net = LeNet.Build(seed: 3);
        using var images = new TensorImageSet(SyntheticDigits.Create(16, seed: 2), CPU);
        var ranges = Calibration.Measure(net, images, 1, 16);
        var sweeps = new Dictionary<string, double[]> // 16, 8, 4, 2, 1 bits
        {
            ["conv"] = [99.18, 99.17, 99.12, 98.40, 11.35],
            ["fc"] = [99.18, 99.18, 99.20, 98.88, 17.78],
            ["act"] = [99.18, 99.14, 98.00, 10.00, 10.00],
        };
        var combined = new Dictionary<(int?, int?, int?), double>
        {
            [(2, 2, 8)] = 97.62, [(4, 2, 8)] = 98.88, [(2, 4, 8)] = 98.36, [(2, 2, 16)] = 97.64,
        };
        double Top1(int? c, int? f, int? a) => (c, f, a) switch
        {
            (null, null, null) => 99.18,
            ({ } b, null, null) => sweeps["conv"][Array.IndexOf(RistrettoDfpSearch.Widths, b)],
            (null, { } b, null) => sweeps["fc"][Array.IndexOf(RistrettoDfpSearch.Widths, b)],
            (null, null, { } b) => sweeps["act"][Array.IndexOf(RistrettoDfpSearch.Widths, b)],
            _ => combined[(c, f, a)],
        };
        var source = new TableEvaluator(plan => Top1(plan.Layers.GetValueOrDefault("conv1")?.Weights?.BitWidth,
            plan.Layers.GetValueOrDefault("ip1")?.Weights?.BitWidth, plan.Layers.GetValueOrDefault("conv1")?.Input?.BitWidth) / 100);
        var r = new RistrettoDfpSearch(net, ranges, images, 1, 16) { Trials = source, WidenToCheapest = cheapest }.Run(1);
        Assert.Equal((conv, fc, 8), (r.ConvWeightBits, r.FcWeightBits, r.ActivationBits));
        Assert.True(r.MeetsMargin);
        Assert.Equal(1 + 5 + 5 + 3 + 1 + 3, r.Evaluations); // each sweep read to its first miss; the combined plan; one widening step
        net.Dispose();
    }

    /// <summary>
    /// A second weight rule (one finer integer length on the conv layers) scores the 2-bit conv cell above the search's own
    /// (98.75 % vs 97.00 %, as conv2's fl 3 vs fl 4 on train seed 4): the sweep keeps it, so the conv sweep reaches 2 bits, and
    /// the combined plan carries those lengths (98.60 %; with the own lengths it would miss the margin at 97.62 %). At the
    /// other widths the own lengths score better and stay; the FC layers' lengths agree and are scored once.
    /// </summary>
    [Theory]
    [InlineData(98.75, true)]
    [InlineData(97.00, false)] // a tie keeps the search's own lengths
    public void Should_Keep_The_Better_Scoring_Weight_Lengths_Of_Two_Criteria_And_Carry_Them_Into_The_Combined_Plan(double alternativeTwoBit, bool kept)
    {
        var net = LeNet.Build(seed: 3);
        using var images = new TensorImageSet(SyntheticDigits.Create(16, seed: 2), CPU);
        var ranges = Calibration.Measure(net, images, 1, 16);
        LayerFormats own = RangeRules.Default.DynamicFixedPoint;
        LayerQuantization Finer(string layer, LayerRange range, int? w, int? a)
        {
            var q = own(layer, range, w, a);
            return layer.StartsWith("conv", StringComparison.Ordinal) && q.Weights is DynamicFixedPoint d
                ? q with { Weights = new DynamicFixedPoint(d.BitWidth, d.FractionalLength + 1) } : q;
        }
        double[] conv = [99.18, 99.17, 99.12, 97.00, 11.35], fc = [99.18, 99.18, 99.20, 98.88, 17.78], act = [99.18, 99.14, 98.00, 10.00, 10.00];
        double Top1(QuantizationPlan plan)
        {
            var w = plan.Layers.GetValueOrDefault("conv1")?.Weights;
            bool finer = w is not null && !w.Equals(own("conv1", ranges["conv1"], w.BitWidth, null).Weights);
            int? c = w?.BitWidth, f = plan.Layers.GetValueOrDefault("ip1")?.Weights?.BitWidth, a = plan.Layers.GetValueOrDefault("conv1")?.Input?.BitWidth;
            return (c, f, a) switch
            {
                (null, null, null) => 99.18,
                (2, null, null) => finer ? alternativeTwoBit : 97.00,
                ({ } b, null, null) => conv[Array.IndexOf(RistrettoDfpSearch.Widths, b)] - (finer ? 0.1 : 0),
                (null, { } b, null) => fc[Array.IndexOf(RistrettoDfpSearch.Widths, b)],
                (null, null, { } b) => act[Array.IndexOf(RistrettoDfpSearch.Widths, b)],
                (2, 2, 8) => finer ? 98.60 : 97.62,
                (4, 2, 8) => 98.88,
                _ => 10.00,
            };
        }
        var source = new TableEvaluator(plan => Top1(plan) / 100);
        var r = new RistrettoDfpSearch(net, ranges, images, 1, 16) { Trials = source, AlternativeWeights = Finer, WidenToMargin = false }.Run(1);

        Assert.Equal((kept ? 2 : 4, 2, 8), (r.ConvWeightBits, r.FcWeightBits, r.ActivationBits));
        Assert.Equal(kept ? 0.9875 : 0.9912, r.Sweeps.Last(p => p.Part == "conv weights" && p.Top1 >= 0.9818).Top1, 6);
        Assert.Equal(kept ? 0.9860 : 0.9888, r.Quantized.Top1, 6);
        Assert.Equal(r.ConvWeightBits == 2 ? Finer("conv2", ranges["conv2"], 2, 8).Weights : own("conv2", ranges["conv2"], 4, 8).Weights, r.Plan.Layers["conv2"].Weights);
        Assert.Equal(own("ip1", ranges["ip1"], 2, 8).Weights, r.Plan.Layers["ip1"].Weights);
        // Both criteria at every conv width read (to the first miss: 1 bit, or 2 bits on a tie), none at FC widths (the lengths agree).
        int cells = kept ? 5 : 4;
        Assert.Equal(2 * cells, r.WeightCandidates.Count);
        Assert.All(r.WeightCandidates, c => Assert.Equal("conv weights", c.Part));
        var twoBit = r.WeightCandidates.Where(c => c.Bits == 2).ToList();
        Assert.Equal([("histogram", 0.97, !kept), ("output", alternativeTwoBit / 100, kept)],
            twoBit.Select(c => (c.Criterion, Math.Round(c.Top1, 6), c.Kept)).ToList());
        Assert.All(r.WeightCandidates.Where(c => c.Bits != 2), c => Assert.Equal(c.Criterion == "histogram", c.Kept));
        Assert.Equal(1 + 2 * cells + 5 + 3 + 1, r.Evaluations); // baseline; conv sweep with each candidate set; fc; activations; combined
        net.Dispose();
    }

    /// <summary>Scores plans by a function of the plan (no network run).</summary>
    private sealed class TableEvaluator(Func<QuantizationPlan, double> top1) : PlanEvaluator, IEvaluatorSource
    {
        private int _evaluations;

        public override Metric Metric => Metric.Top1;

        public override int Evaluations => _evaluations;

        public override int Lookahead => int.MaxValue;

        public override RoundScores Score(IReadOnlyList<Candidate> round) => new(round.Count, i =>
        {
            _evaluations++;
            double t = top1(round[i].Plan);
            return new EvalResult(t, 1, 16, 0);
        });

        public PlanEvaluator Open(Metric metric, bool measureFidelity, Action<int, string>? progress, CancellationToken cancel) => this;

        public RoundEvaluator OpenLoss(CalibrationLoss loss, Action<int, string>? progress, CancellationToken cancel) =>
            throw new NotSupportedException("the per-type search scores no calibration losses");
    }

    [Fact]
    public void Should_Accept_Every_Width_With_A_Margin_Of_100_Points()
    {
        using var trained = new TrainedLeNet();
        var (net, train, test) = (trained.Net, trained.Train, trained.Test);
        {
            var r = new RistrettoDfpSearch(net, Calibration.Measure(net, train, 2, 64), test, 1, 100).Run(100);
            Assert.Equal((1, 1, 1), (r.ConvWeightBits, r.FcWeightBits, r.ActivationBits));
            Assert.Equal(15, r.Sweeps.Count);
        }
    }

    [Fact]
    public void Should_Choose_Ristrettos_Integer_Lengths_From_Calibrated_Maxima()
    {
        using var trained = new TrainedLeNet();
        var (net, train, test) = (trained.Net, trained.Train, trained.Test);
        {
            var ranges = Calibration.Measure(net, train, 2, 64);
            var plan = new RistrettoDfpSearch(net, ranges, test, 1, 100, RangeRules.Ristretto.DynamicFixedPoint).Plan(8, 8, 8);
            var w = (DynamicFixedPoint)plan.Layers["conv2"].Weights!;
            var o = (DynamicFixedPoint)plan.Layers["conv2"].Output!;
            Assert.Equal((int)Math.Ceiling(Math.Log2(ranges["conv2"].Weights)) + 1, w.IntegerLength);
            Assert.Equal((int)Math.Ceiling(Math.Log2(ranges["conv2"].Output)), o.IntegerLength);
            Assert.Same(plan.Layers["conv2"].Weights, plan.Layers["conv2"].Bias);
        }
    }

    [Fact]
    public void Should_Reject_An_Impossible_Margin()
    {
        using var t = new TrainedLeNet();
        Assert.Throws<RistrettoException>(() => new RistrettoDfpSearch(t.Net, Calibration.Measure(t.Net, t.Train, 1, 64), t.Test, 1, 100).Run(-1));
    }
}
