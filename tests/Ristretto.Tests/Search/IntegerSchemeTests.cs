using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Search;

public class IntegerSchemeTests
{
    [Fact]
    public void Per_Channel_Weights_Should_Get_One_Scale_Per_Output_Channel_And_Post_ReLU_Inputs_Unsigned_Codes()
    {
        using var trained = new TrainedLeNet();
        var net = trained.Net;
        var ranges = Calibration.Measure(net, trained.Train, 2, 64);
        var scheme = new IntegerScheme(ScaleKind.PowerOfTwo, PerChannelWeights: true);
        var spec = scheme.Formats(net)("ip2", ranges["ip2"], 4, 8);
        var weights = Assert.IsType<IntegerFormat>(spec.Weights);
        Assert.Equal(10, weights.ChannelCount);
        Assert.Equal(0, weights.ChannelAxis);
        Assert.Equal(7, weights.QMax); // narrow signed 4-bit
        Assert.All(weights.Scales, s => Assert.Equal(0, BitConverter.SingleToInt32Bits(s) & 0x7FFFFF)); // powers of two
        var input = Assert.IsType<IntegerFormat>(spec.Input); // ip2 reads relu1's output: never negative
        Assert.False(input.Signed);
        Assert.Equal(255, input.QMax);
        var output = Assert.IsType<IntegerFormat>(spec.Output); // logits go negative
        Assert.True(output.Signed);
        var bias = Assert.IsType<IntegerFormat>(spec.Bias);
        Assert.Equal(weights.Scales.Select(s => s * input.Scales[0]), bias.Scales);
    }

    [Fact]
    public void Asymmetric_Activations_Should_Carry_A_Zero_Point_Where_Values_Go_Negative()
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 2, 64);
        var spec = new IntegerScheme(AsymmetricActivations: true).Formats(trained.Net)("ip2", ranges["ip2"], null, 8);
        var output = Assert.IsType<IntegerFormat>(spec.Output);
        Assert.False(output.IsSymmetric);
        Assert.InRange(output.ZeroPoints[0], 1, 254);
        Assert.Null(spec.Weights);
        Assert.Null(spec.Bias);
    }

    [Fact]
    public void The_Sweeps_Should_Run_With_An_Integer_Scheme_And_Eight_Bits_Should_Stay_Close_To_Float()
    {
        using var trained = new TrainedLeNet();
        var net = trained.Net;
        var ranges = Calibration.Measure(net, trained.Train, 2, 64, IntegerScheme.HistogramBins);
        Assert.NotNull(ranges["conv1"].OutputHistogram);
        var scheme = new IntegerScheme(PerChannelWeights: true, MseClipping: true);
        var search = new RistrettoDfpSearch(net, ranges, trained.Test, 2, 100, scheme.Formats(net), IntegerScheme.Widths, scheme.Describe());
        var r = search.Run(marginPoints: 100);
        Assert.Equal(IntegerScheme.Widths, r.Sweeps.Where(p => p.Part == "activations").Select(p => p.Bits));
        Assert.All(r.Plan.Layers.Values, l => Assert.IsType<IntegerFormat>(l.Weights));
        double float1 = Evaluator.Evaluate(net, trained.Test).Top1;
        using var eight = new QuantizedNetwork(net, search.Plan(8, 8, 8));
        Assert.InRange(Evaluator.Evaluate(eight, trained.Test).Top1, float1 - 0.02, 1);
    }

    [Fact]
    public void The_Mse_Clip_Should_Cut_A_Lone_Outlier_At_Low_Bits_And_Keep_The_Range_Of_A_Flat_Distribution()
    {
        var peaked = new double[256];
        for (int i = 0; i < 32; i++)
            peaked[i] = 1000;
        peaked[255] = 1; // one outlier at the top
        double clip = Calibration.ClipThreshold(peaked, 1.0, 15);
        Assert.InRange(clip, 0.1, 0.3);
        var flat = Enumerable.Repeat(1000.0, 256).ToArray();
        Assert.InRange(Calibration.ClipThreshold(flat, 1.0, 255), 0.98, 1.0);
    }
}
