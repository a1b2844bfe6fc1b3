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
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void Should_Widen_The_Combined_Plan_One_Step_At_A_Time_Until_It_Meets_The_Margin(double margin)
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 4, 64);
        var kept = new RistrettoDfpSearch(trained.Net, ranges, trained.Test, 2, 100) { WidenToMargin = false }.Run(margin);
        var r = new RistrettoDfpSearch(trained.Net, ranges, trained.Test, 2, 100).Run(margin);
        double threshold = r.Baseline.Top1 - margin / 100;

        // The sweeps and their choice are Ristretto's either way; widening only adds combined plans after it.
        Assert.Equal(kept.Sweeps, r.Sweeps);
        Assert.Equal(kept.Combined.Single(), r.Combined[0]);
        Assert.True(r.Quantized.Top1 >= threshold, $"chosen plan scores {r.Quantized.Top1} below {threshold}");
        Assert.All(r.Combined.SkipLast(1), t => Assert.True(t.Top1 < threshold));
        Assert.Equal(1 + r.Sweeps.Count + r.Combined.Count, r.Evaluations);
        var last = r.Combined[^1];
        Assert.Equal((last.ConvWeightBits, last.FcWeightBits, last.ActivationBits, last.Top1), (r.ConvWeightBits, r.FcWeightBits, r.ActivationBits, r.Quantized.Top1));
        for (int i = 1; i < r.Combined.Count; i++)
        {
            int?[] before = [r.Combined[i - 1].ConvWeightBits, r.Combined[i - 1].FcWeightBits, r.Combined[i - 1].ActivationBits];
            int?[] after = [r.Combined[i].ConvWeightBits, r.Combined[i].FcWeightBits, r.Combined[i].ActivationBits];
            int part = RistrettoDfpSearch.WidestLoss(r.Sweeps, before)!.Value;
            for (int k = 0; k < 3; k++)
            {
                if (k != part)
                    Assert.Equal(before[k], after[k]);
            }
            int at = Array.IndexOf(RistrettoDfpSearch.Widths, before[part]!.Value);
            Assert.Equal(at > 0 ? RistrettoDfpSearch.Widths[at - 1] : null, after[part]);
            Assert.StartsWith(RistrettoDfpSearch.Parts[part], r.Combined[i].Widened);
        }
        // The chosen plan is what the result says.
        Assert.Equal(r.ConvWeightBits, ((DynamicFixedPoint?)r.Plan.Layers["conv1"].Weights)?.BitWidth);
        Assert.Equal(r.FcWeightBits, ((DynamicFixedPoint?)r.Plan.Layers["ip1"].Weights)?.BitWidth);
        Assert.Equal(r.ActivationBits, ((DynamicFixedPoint?)r.Plan.Layers["ip1"].Input)?.BitWidth);
    }

    [Fact]
    public void Should_Widen_The_Part_Whose_Sweep_Lost_Most_At_Its_Width()
    {
        SweepPoint[] sweeps =
        [
            new("conv weights", 4, 0.97, 1), new("conv weights", 2, 0.95, 1),
            new("fc weights", 4, 0.96, 1), new("fc weights", 2, 0.90, 1),
            new("activations", 8, 0.96, 1), new("activations", 4, 0.80, 1),
        ];
        Assert.Equal(1, RistrettoDfpSearch.WidestLoss(sweeps, [2, 2, 8]));   // fc lost most (0.90)
        Assert.Equal(0, RistrettoDfpSearch.WidestLoss(sweeps, [2, 4, 8]));   // then conv (0.95 < 0.96)
        Assert.Equal(1, RistrettoDfpSearch.WidestLoss(sweeps, [4, 4, 8]));   // equal 0.96: the first of equals, fc before activations
        Assert.Equal(2, RistrettoDfpSearch.WidestLoss(sweeps, [null, null, 8])); // float parts are never picked
        Assert.Null(RistrettoDfpSearch.WidestLoss(sweeps, [null, null, null]));
        Assert.Equal(2, RistrettoDfpSearch.WidestLoss(sweeps, [2, 2, 16]));  // a width the sweep never scored goes first
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
            var plan = new RistrettoDfpSearch(net, ranges, test, 1, 100).Plan(8, 8, 8);
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
