using Ristretto.Hardware;
using Ristretto.Quantization;
using Ristretto.Zoo;

namespace Ristretto.Tests.Hardware;

public class RooflineTests
{
    [Fact]
    public void Should_Find_Conv1_Memory_Bound_In_Float32_And_Compute_Bound_At_8_Bits()
    {
        using var net = LeNet.Build();
        var platform = RooflinePlatform.JetsonNano;
        var f32 = NetworkCostModel.Compute(net, QuantizationPlan.Float).Layers[0];
        var int8 = NetworkCostModel.Compute(net, LeNetCostTests.Dfp(8)).Layers[0];
        // conv1: 288,000 MACs = 576,000 ops; 500 weights + 20 biases + 784 inputs + 11,520 outputs.
        double values = 500 + 20 + 784 + 11_520;
        Assert.Equal(576_000 / (values * 4), f32.Intensity, 1e-9);
        Assert.Equal(576_000 / values, int8.Intensity, 1e-9);
        Assert.Equal(472e9 / 25.6e9, platform.Ridge, 1e-12);
        Assert.True(platform.IsMemoryBound(f32.Intensity));
        Assert.False(platform.IsMemoryBound(int8.Intensity));
        Assert.Equal(25.6e9 * f32.Intensity, platform.Attainable(f32.Intensity), 1e-3);
        Assert.Equal(472e9, platform.Attainable(int8.Intensity));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, -5)]
    [InlineData(double.NaN, 1)]
    public void Should_Refuse_A_Platform_Without_Positive_Peak_And_Bandwidth(double peak, double bandwidth)
    {
        Assert.Throws<RistrettoException>(() => new AcceleratorOptions { Platform = new RooflinePlatform("x", peak, bandwidth) });
    }

    [Fact]
    public void Should_Refuse_A_Batch_Below_One() =>
        Assert.Contains("batch must be ≥ 1", Assert.Throws<RistrettoException>(() => new AcceleratorOptions { Batch = 0 }).Message, StringComparison.Ordinal);
}
