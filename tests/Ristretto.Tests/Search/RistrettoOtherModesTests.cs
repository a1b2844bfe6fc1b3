using Ristretto.Data;
using Ristretto.Formats;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Search;

public class RistrettoOtherModesTests
{
    [Theory]
    [InlineData(0.5, 4)]     // log2(max) − 1 ≤ 0: the minimum of 4
    [InlineData(8, 4)]       // ceil(log2(2) + 1) = 2 → 4
    [InlineData(1e6, 6)]     // log2(1e6) − 1 = 18.93 → ceil(4.24 + 1) = 6
    [InlineData(1e30, 8)]    // 98.66 → ceil(6.62 + 1) = 8
    public void Should_Pick_Ristrettos_Exponent_Width(double max, int expected)
    {
        Assert.Equal(expected, RistrettoOtherModes.ExponentBitsFor(max));
    }

    [Fact]
    public void Should_Sweep_Minifloat_16_Then_8_Bits_With_The_Same_Exponent_Everywhere()
    {
        using var net = LeNet.Build(seed: 3);
        using var data = new TensorImageSet(SyntheticDigits.Create(200, seed: 2), CPU);
        var modes = new RistrettoOtherModes(net, Calibration.Measure(net, data, 2, 64), data, 1, 100);
        var r = modes.MiniFloat(marginPoints: 100);
        Assert.Equal(new[] { 16, 8 }, r.Sweeps.Select(p => p.Bits));
        Assert.Equal(8, r.Bits);
        var spec = r.Plan.Layers["conv2"];
        var f = Assert.IsType<MiniFloat>(spec.Weights);
        Assert.Equal((r.ExponentBits, 7 - r.ExponentBits), (f.ExponentBits, f.MantissaBits));
        Assert.Equal(spec.Weights, spec.Output);
        Assert.Equal(3, r.Evaluations);
    }

    [Fact]
    public void Should_Keep_Zero_Weights_At_Zero_And_Trim_The_Bias_In_Power_Of_Two_Mode()
    {
        using var net = LeNet.Build(seed: 3);
        using var data = new TensorImageSet(SyntheticDigits.Create(200, seed: 2), CPU);
        var r = new RistrettoOtherModes(net, Calibration.Measure(net, data, 2, 64), data, 1, 100).PowerOfTwo();
        var spec = r.Plan.Layers["ip1"];
        var pow2 = Assert.IsType<PowerOfTwo>(spec.Weights);
        Assert.Equal(0.0, pow2.Quantize(0.0));
        Assert.Equal((-8, -1), (pow2.MinExponent, pow2.MaxExponent));
        Assert.Equal(8, Assert.IsType<DynamicFixedPoint>(spec.Bias).BitWidth);
        Assert.Equal(8, Assert.IsType<DynamicFixedPoint>(spec.Input).BitWidth);
        Assert.Equal(2, r.Evaluations);
    }

    [Fact]
    public void Should_Reject_An_Impossible_Margin_Before_Evaluating()
    {
        using var net = LeNet.Build(seed: 3);
        using var data = new TensorImageSet(SyntheticDigits.Create(100, seed: 2), CPU);
        var modes = new RistrettoOtherModes(net, Calibration.Measure(net, data, 1, 64), data, 1, 100);
        Assert.Contains("error margin", Assert.Throws<RistrettoException>(() => modes.MiniFloat(-3)).Message);
    }
}
