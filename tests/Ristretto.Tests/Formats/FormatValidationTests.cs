using Ristretto.Formats;

namespace Ristretto.Tests.Formats;

public class FormatValidationTests
{
    [Fact]
    public void Should_Reject_A_Zero_Bit_Width_With_A_One_Line_Message()
    {
        var e = Assert.Throws<RistrettoException>(() => new DynamicFixedPoint(0, 2));
        Assert.Equal("bw must be ≥ 1, got 0", e.Message);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(9, 3)]
    [InlineData(4, -1)]
    [InlineData(4, 24)]
    public void Should_Reject_Impossible_Minifloats(int exp, int mant)
        => Assert.Throws<RistrettoException>(() => new MiniFloat(exp, mant));

    [Fact]
    public void Should_Reject_An_Exponent_Range_That_Is_Upside_Down()
    {
        var e = Assert.Throws<RistrettoException>(() => new PowerOfTwo(-1, -8));
        Assert.Contains("exp_min must be ≤ exp_max", e.Message);
    }

    [Fact]
    public void Should_Reject_Dfp_Beyond_The_Float32_Range()
    {
        Assert.Throws<RistrettoException>(() => new DynamicFixedPoint(25, 0));
        Assert.Throws<RistrettoException>(() => new DynamicFixedPoint(8, 127));
        Assert.Throws<RistrettoException>(() => new DynamicFixedPoint(16, -120));
    }

    [Fact]
    public void Should_Reject_Bad_Integer_Parameters()
    {
        Assert.Throws<RistrettoException>(() => IntegerFormat.Symmetric(8, 0f));
        Assert.Throws<RistrettoException>(() => IntegerFormat.Symmetric(8, float.NaN));
        Assert.Throws<RistrettoException>(() => IntegerFormat.Asymmetric(4, 0.1f, 16));
        Assert.Throws<RistrettoException>(() => IntegerFormat.Symmetric(8, 0.3f, scaleKind: ScaleKind.PowerOfTwo));
        Assert.Throws<RistrettoException>(() => IntegerFormat.Symmetric(8, 0.3f, scaleKind: ScaleKind.FixedPoint, scaleFractionBits: 4));
        Assert.Throws<RistrettoException>(() => new IntegerFormat(8, true, [0.1f, 0.2f]));
        Assert.Throws<RistrettoException>(() => IntegerFormat.PerChannel(8, 0, [0.1f, 0.2f], [0]));
        Assert.Throws<RistrettoException>(() => new IntegerFormat(8, false, [0.1f], narrowRange: true));
    }

    [Fact]
    public void Should_Reject_Bad_Binary_And_Ternary_Parameters()
    {
        Assert.Throws<RistrettoException>(() => new BinaryFormat(0f));
        Assert.Throws<RistrettoException>(() => new TernaryFormat(1f, 1f));
        Assert.Throws<RistrettoException>(() => new TernaryFormat(-0.1f, 1f));
    }

    [Fact]
    public void Should_Snap_Scales_To_Their_Kind()
    {
        Assert.Equal(0.25f, IntegerFormat.SnapScale(0.3, ScaleKind.PowerOfTwo));
        Assert.Equal(5 / 16f, IntegerFormat.SnapScale(0.3, ScaleKind.FixedPoint, 4));
        Assert.Equal(1 / 16f, IntegerFormat.SnapScale(0.001, ScaleKind.FixedPoint, 4));
        _ = IntegerFormat.Symmetric(8, IntegerFormat.SnapScale(0.3, ScaleKind.FixedPoint, 4), scaleKind: ScaleKind.FixedPoint, scaleFractionBits: 4);
    }

    [Fact]
    public void Should_Expose_Bit_Widths_For_Cost_Models()
    {
        Assert.Equal(8, new DynamicFixedPoint(8, 3).BitWidth);
        Assert.Equal(8, new MiniFloat(4, 3).BitWidth);
        Assert.Equal(4, new PowerOfTwo(-8, -1, zeroRepresentable: false).BitWidth);
        Assert.Equal(5, new PowerOfTwo(-8, -1).BitWidth);
        Assert.Equal(1, new BinaryFormat(1f).BitWidth);
        Assert.Equal(2, new TernaryFormat(0.3f, 1f).BitWidth);
        Assert.Equal(16, new MiniFloat(5, 10).BitWidth);
    }

    [Fact]
    public void Should_Choose_Ristretto_Fractional_Lengths_From_The_Largest_Magnitude()
    {
        Assert.Equal(8 - 2, DynamicFixedPoint.FromMaxAbs(8, 3.5, isWeights: false).FractionalLength);   // il = ceil(log2 3.5) = 2
        Assert.Equal(8 - 3, DynamicFixedPoint.FromMaxAbs(8, 3.5, isWeights: true).FractionalLength);    // il = 2 + 1
        Assert.Equal(8 - 1, DynamicFixedPoint.FromMaxAbs(8, 0.6, isWeights: true).FractionalLength);    // il = ceil(log2 0.6) + 1 = 1
        Assert.Equal(4 - 9, DynamicFixedPoint.FromMaxAbs(4, 300, isWeights: false).FractionalLength);   // fl may be negative
    }
}
