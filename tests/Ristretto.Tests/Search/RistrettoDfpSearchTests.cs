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
            var search = new RistrettoDfpSearch(net, Calibration.Measure(net, train, 4, 64), test, iterations: 2, batchSize: 100);
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
            Assert.Equal(200, r.Baseline.Images);
            Assert.Equal(r.ConvWeightBits, ((DynamicFixedPoint?)r.Plan.Layers["conv1"].Weights)?.BitWidth);
            Assert.Equal(r.ActivationBits, ((DynamicFixedPoint?)r.Plan.Layers["ip2"].Output)?.BitWidth);
        }
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
