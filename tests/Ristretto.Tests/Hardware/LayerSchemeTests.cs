using Ristretto.Formats;
using Ristretto.Hardware;

namespace Ristretto.Tests.Hardware;

public class LayerSchemeTests
{
    private static readonly DynamicFixedPoint Dfp8 = new(8, 4);

    [Fact]
    public void Should_Read_Dynamic_Fixed_Point_As_Integer_Macs_With_Shift_Requantization()
    {
        var s = LayerScheme.Of(Dfp8, Dfp8, Dfp8, Dfp8);
        Assert.Equal(MacKind.Integer, s.Mac);
        Assert.Equal(RequantKind.Shift, s.Requant);
        Assert.Equal(16, s.ProductBits);
        Assert.False(s.WeightOffset || s.InputOffset || s.PerChannel);
        Assert.Equal(0, s.ScaleParameterBits);
    }

    [Theory]
    [InlineData(ScaleKind.PowerOfTwo, RequantKind.Shift, 0.25f, 0)]
    [InlineData(ScaleKind.FixedPoint, RequantKind.FixedPointMultiply, 0.375f, 4)]
    [InlineData(ScaleKind.Float, RequantKind.FloatMultiply, 0.3f, 0)]
    public void Should_Pick_The_Requantization_Unit_From_The_Scale_Kind(ScaleKind kind, RequantKind expected, float scale, int fractionBits)
    {
        var f = IntegerFormat.Symmetric(8, scale, scaleKind: kind, scaleFractionBits: fractionBits);
        var s = LayerScheme.Of(f, null, f, f);
        Assert.Equal(MacKind.Integer, s.Mac);
        Assert.Equal(expected, s.Requant);
        // 0.375 · 2^4 = 6: a 3-bit scale integer; stored per format (weights, input, output).
        int scaleBits = kind switch { ScaleKind.FixedPoint => 3, ScaleKind.Float => 32, _ => 8 };
        Assert.Equal(kind == ScaleKind.FixedPoint ? 3 : 0, s.ScaleBits);
        Assert.Equal(3 * scaleBits, s.ScaleParameterBits);
    }

    [Fact]
    public void Should_Let_The_Most_Expensive_Scale_Decide_The_Unit()
    {
        var fixedPoint = IntegerFormat.Symmetric(8, 0.375f, scaleKind: ScaleKind.FixedPoint, scaleFractionBits: 4);
        Assert.Equal(RequantKind.FixedPointMultiply, LayerScheme.Of(Dfp8, null, fixedPoint, Dfp8).Requant);
        Assert.Equal(RequantKind.FloatMultiply, LayerScheme.Of(Dfp8, null, fixedPoint, IntegerFormat.Symmetric(8, 0.3f)).Requant);
        Assert.Equal(RequantKind.FloatMultiply, LayerScheme.Of(Dfp8, null, Dfp8, null).Requant); // float32 output: dequantize
    }

    [Fact]
    public void Should_See_Zero_Points_As_Offsets_And_Channel_Axes_As_Per_Channel()
    {
        var asym = IntegerFormat.Asymmetric(4, 0.1f, 8);
        var perChannel = IntegerFormat.PerChannel(4, 0, [0.1f, 0.2f, 0.3f]);
        var s = LayerScheme.Of(perChannel, null, asym, asym);
        Assert.True(s.InputOffset);
        Assert.True(s.OutputOffset);
        Assert.False(s.WeightOffset);
        Assert.True(s.PerChannel);
        // weights: 3 float scales; input and output: one float scale and a 4-bit zero point each.
        Assert.Equal(3 * 32 + 2 * (32 + 4), s.ScaleParameterBits);
        Assert.Contains("z_a", s.Describe(), StringComparison.Ordinal);
        Assert.Contains("per-channel", s.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Replace_The_Multiplier_By_A_Shifter_For_Power_Of_Two_Weights()
    {
        var s = LayerScheme.Of(new PowerOfTwo(-8, -1), Dfp8, Dfp8, Dfp8);
        Assert.Equal(MacKind.Shift, s.Mac);
        Assert.Equal(8, s.ShiftPositions);
        Assert.Equal(8 + 7, s.ProductBits);
        Assert.Equal(RequantKind.Shift, s.Requant);
    }

    [Fact]
    public void Should_Use_Sign_Select_Or_Xnor_For_Binary_And_Ternary()
    {
        var select = LayerScheme.Of(new BinaryFormat(0.5f), null, Dfp8, Dfp8);
        Assert.Equal(MacKind.SignSelect, select.Mac);
        Assert.Equal(8, select.ProductBits);
        Assert.Equal(RequantKind.FloatMultiply, select.Requant); // α is a float scale
        var xnor = LayerScheme.Of(new TernaryFormat(0.1f, 0.5f), null, new BinaryFormat(1f), Dfp8);
        Assert.Equal(MacKind.Xnor, xnor.Mac);
        Assert.Equal(1, xnor.ProductBits);
    }

    [Fact]
    public void Should_Multiply_Minifloats_At_Their_Significand_Widths()
    {
        var e4m3 = new MiniFloat(4, 3);
        var s = LayerScheme.Of(e4m3, e4m3, new MiniFloat(5, 2), e4m3);
        Assert.Equal(MacKind.MiniFloat, s.Mac);
        Assert.Equal((4, 3), s.Significands);
        Assert.Equal(RequantKind.FloatRound, s.Requant);
        Assert.Equal(8, s.WeightBits);
    }

    [Fact]
    public void Should_Cost_A_Float32_Part_As_32_Bits_Of_Float_Arithmetic()
    {
        var s = LayerScheme.Of(null, null, Dfp8, null);
        Assert.Equal(MacKind.Float32, s.Mac);
        Assert.Equal(32, s.WeightBits);
        Assert.Equal(8, s.InputBits);
        Assert.Equal(RequantKind.None, s.Requant);
    }
}
