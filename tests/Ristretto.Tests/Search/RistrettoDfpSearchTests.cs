using Ristretto.Data;
using Ristretto.Formats;
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
    [InlineData(1.0, false)]
    [InlineData(45.0, true)] // conv weights pass alone at 1 bit (59 %), the combined 1/2/4 plan does not (47 %)
    public void Should_Widen_The_Combined_Plan_Until_It_Meets_The_Margin_Keeping_The_Best_Of_Each_Step(double margin, bool widens)
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 4, 64);
        var ristretto = new RistrettoDfpSearch(trained.Net, ranges, trained.Test, 2, 100) { WidenToMargin = false }.Run(margin);
        var r = new RistrettoDfpSearch(trained.Net, ranges, trained.Test, 2, 100).Run(margin);
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
            Assert.Equal(tried.First(t => t.Top1 == tried.Max(x => x.Top1)), kept[step]);
        }
        // The chosen plan is what the result says.
        Assert.Equal(r.ConvWeightBits, ((DynamicFixedPoint?)r.Plan.Layers["conv1"].Weights)?.BitWidth);
        Assert.Equal(r.FcWeightBits, ((DynamicFixedPoint?)r.Plan.Layers["ip1"].Weights)?.BitWidth);
        Assert.Equal(r.ActivationBits, ((DynamicFixedPoint?)r.Plan.Layers["ip1"].Input)?.BitWidth);
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
