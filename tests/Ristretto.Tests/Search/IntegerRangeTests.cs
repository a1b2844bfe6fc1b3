using Ristretto.Formats;
using Ristretto.Jobs;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;
using static TorchSharp.torch;

namespace Ristretto.Tests.Search;

/// <summary>Issue 15 part 1 for the integer mode: weight ranges by error (per tensor and per channel), kl and percentile for activations.</summary>
public class IntegerRangeTests
{
    [Fact]
    public void The_Clip_Should_Follow_Its_Method()
    {
        var peaked = new double[256];
        for (int i = 0; i < 32; i++)
            peaked[i] = 1000;
        peaked[255] = 1; // one outlier at the top
        Assert.Equal(1.0, IntegerRange.Clip(peaked, 1.0, 1, RangeMethod.Max));
        Assert.InRange(IntegerRange.Clip(peaked, 1.0, 1, RangeMethod.Mse), 0.05, 0.25); // a 2-bit grid: one step, near the bulk
        Assert.InRange(IntegerRange.Clip(peaked, 1.0, 255, RangeMethod.AtPercentile(99.9)), 0.12, 0.13);
        Assert.Equal(1.0, IntegerRange.Clip(null, 1.0, 1, RangeMethod.Mse));
        // A flat distribution with as many levels as bins: every clip's KL ties at 0 or worse, the widest is kept.
        var flat = Enumerable.Repeat(1000.0, 256).ToArray();
        Assert.Equal(1.0, IntegerRange.Clip(flat, 1.0, 255, RangeMethod.Kl));
        Assert.Equal(1.0, IntegerRange.Clip(flat, 1.0, 255, RangeMethod.Mse), 2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Weight_Ranges_By_Error_Should_Not_Reconstruct_Worse_Than_The_Maximum_On_Any_Layer(bool perChannel)
    {
        using var trained = new TrainedLeNet();
        var net = trained.Net;
        var ranges = Calibration.Measure(net, trained.Train, 2, 64);
        var byMax = new IntegerScheme(PerChannelWeights: perChannel).Formats(net);
        var byError = new IntegerScheme(PerChannelWeights: perChannel) { WeightRange = RangeMethod.Mse }.Formats(net);
        bool anyBetter = false;
        foreach (var layer in ranges.Keys)
        {
            using var scope = NewDisposeScope();
            var w = ((Ristretto.Graph.IWeightedLayer)net[layer]).Weight.detach();
            double Error(LayerFormats formats)
            {
                var q = formats(layer, ranges[layer], 2, null).Weights!.Trim(w);
                var d = q.sub(w);
                return d.mul(d).sum().item<float>(); // not square(): it passes TorchSharp an unheld Scalar
            }
            double max = Error(byMax), mse = Error(byError);
            Assert.True(mse <= max * 1.0001, $"{layer}: squared error {mse} by mse against {max} by the maximum");
            anyBetter |= mse < max * 0.99;
            var format = Assert.IsType<IntegerFormat>(byError(layer, ranges[layer], 2, null).Weights);
            Assert.Equal(perChannel ? (int)w.shape[0] : 1, format.Scales.Length);
        }
        Assert.True(anyBetter, "at 2 bits the error-chosen range should beat the maximum on some layer");
    }

    [Fact]
    public void Kl_And_Percentile_Activation_Ranges_Should_Clip_Within_The_Maximum()
    {
        using var trained = new TrainedLeNet();
        var net = trained.Net;
        var ranges = Calibration.Measure(net, trained.Train, 2, 64, IntegerScheme.HistogramBins);
        foreach (var method in new[] { RangeMethod.Kl, RangeMethod.AtPercentile(99) })
        {
            var scheme = new IntegerScheme { ActivationRange = method };
            Assert.True(scheme.NeedsHistograms);
            var max = new IntegerScheme().Formats(net)("conv2", ranges["conv2"], null, 4);
            var clipped = scheme.Formats(net)("conv2", ranges["conv2"], null, 4);
            float step = Assert.IsType<IntegerFormat>(clipped.Input).Scales[0], maxStep = Assert.IsType<IntegerFormat>(max.Input).Scales[0];
            Assert.True(step <= maxStep, $"{method}: step {step} above max's {maxStep}");
        }
        Assert.Contains("kl activation ranges", new IntegerScheme { ActivationRange = RangeMethod.Kl }.Describe());
    }

    [Fact]
    public void The_Integer_Mode_Should_Take_The_New_Ranges_And_Refuse_What_It_Cannot_Do_In_One_Line()
    {
        var s = new QuantizeSettings { Mode = QuantizeMode.Integer, PerChannel = true, WeightCalibration = RangeMethod.Mse, ActivationCalibration = RangeMethod.Kl }.Validate();
        Assert.Equal(RangeMethod.Mse, s.Scheme.WeightRange);
        Assert.Equal(RangeMethod.Kl, s.Scheme.ActivationRange);
        new QuantizeSettings { Mode = QuantizeMode.Integer, WeightCalibration = RangeMethod.AtPercentile(99.9), ActivationCalibration = RangeMethod.AtPercentile(99.99) }.Validate();
        var kl = Assert.Throws<RistrettoException>(() => new QuantizeSettings { Mode = QuantizeMode.Integer, WeightCalibration = RangeMethod.Kl }.Validate());
        Assert.DoesNotContain('\n', kl.Message);
        Assert.Throws<RistrettoException>(() => new QuantizeSettings { Mode = QuantizeMode.Integer, Asymmetric = true, ActivationCalibration = RangeMethod.Kl }.Validate());
    }
}
