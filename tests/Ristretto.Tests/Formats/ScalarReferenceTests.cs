using Ristretto.Formats;

namespace Ristretto.Tests.Formats;

/// <summary>Hand-checked values of the scalar reference, including the Ristretto bugs it must not copy.</summary>
public class ScalarReferenceTests
{
    [Theory]
    [InlineData(0.0625, 0.0)]       // tie 0.5 step → even (0)
    [InlineData(0.1875, 0.25)]      // tie 1.5 steps → even (2)
    [InlineData(-0.1875, -0.25)]
    [InlineData(100.0, 15.875)]     // saturates
    [InlineData(-100.0, -16.0)]
    [InlineData(double.PositiveInfinity, 15.875)]
    [InlineData(double.NaN, 0.0)]
    public void Should_Round_Dfp_Half_To_Even_And_Saturate(double x, double expected)
        => Assert.Equal(expected, new DynamicFixedPoint(8, 3).Quantize(x));

    [Fact]
    public void Should_Give_A_Positive_Zero_For_Dfp()
        => Assert.False(double.IsNegative(new DynamicFixedPoint(8, 3).Quantize(-0.01)));

    [Fact]
    public void Should_Saturate_A_Minifloat_Rounding_Carry_Instead_Of_Overflowing()
    {
        var f = new MiniFloat(4, 3);                                 // max (2 - 1/8) · 2^8 = 480
        Assert.Equal(480, f.MaxValue);
        Assert.Equal(480, f.Quantize(495.9));                        // rounds to 512 in the last binade: Ristretto returned 512
        Assert.Equal(480, f.Quantize(double.NaN));
        Assert.Equal(-480, f.Quantize(double.NegativeInfinity));
        Assert.Equal(0, f.Quantize(Math.ScaleB(1, -8)));             // below 2^-7: flush, no denormals
        Assert.Equal(1.25, f.Quantize(1.1875));                      // tie between 9/8 and 10/8 → even mantissa
        Assert.Equal(1.0, f.Quantize(1.0625));                       // tie between 8/8 and 9/8 → even mantissa
        Assert.Equal(2, f.Quantize(1.9375));                         // tie with carry into the next binade
    }

    [Fact]
    public void Should_Map_Zero_To_Zero_For_Power_Of_Two_By_Default()
    {
        Assert.Equal(0, new PowerOfTwo().Quantize(0));
        Assert.Equal(Math.ScaleB(1, -8), new PowerOfTwo(zeroRepresentable: false).Quantize(0));  // Ristretto's behaviour, on request
    }

    [Theory]
    [InlineData(0.3, 0.25)]
    [InlineData(0.36, 0.5)]          // above 2^-1.5 ≈ 0.3536: log-domain nearest
    [InlineData(-0.7, -0.5)]         // saturates at 2^-1
    [InlineData(0.0019, 0.0)]        // below 2^-9: rounds to zero
    [InlineData(0.0021, 0.00390625)]
    public void Should_Round_Power_Of_Two_In_The_Log_Domain(double x, double expected)
        => Assert.Equal(expected, new PowerOfTwo().Quantize(x));

    [Fact]
    public void Should_Quantize_Asymmetric_Integers_With_A_Zero_Point()
    {
        var f = IntegerFormat.Asymmetric(4, 0.5f, 3);                // codes 0..15 → values -1.5 … 6
        Assert.Equal(-1.5, f.Quantize(-7));
        Assert.Equal(6, f.Quantize(70));
        Assert.Equal(1, f.Quantize(1.2));
        Assert.Equal(0, f.Quantize(double.NaN));
    }

    [Fact]
    public void Should_Round_Stochastically_From_The_Draw()
    {
        var f = new DynamicFixedPoint(8, 0);
        Assert.Equal(2, f.Quantize(2.25, Rounding.Stochastic, 0.74));
        Assert.Equal(3, f.Quantize(2.25, Rounding.Stochastic, 0.75));
        Assert.Equal(-3, f.Quantize(-2.25, Rounding.Stochastic, 0.24));
        Assert.Equal(-2, f.Quantize(-2.25, Rounding.Stochastic, 0.25));
    }

    [Fact]
    public void Should_Draw_Uniform_Multiples_Of_Two_To_The_Minus_24()
    {
        for (long i = 0; i < 1000; i++)
        {
            double u = StochasticStream.Uniform(17, i);
            Assert.InRange(u, 0, 1 - Math.ScaleB(1, -24));
            Assert.Equal(u, Math.Round(Math.ScaleB(u, 24)) * Math.ScaleB(1, -24));
        }
        Assert.NotEqual(StochasticStream.Draw(1, 5), StochasticStream.Draw(2, 5));
        Assert.NotEqual(StochasticStream.Draw(1, 5), StochasticStream.Draw(1, 5 + (1L << 32)));
    }

    [Fact]
    public void Should_Binarize_And_Ternarize()
    {
        Assert.Equal(0.5, new BinaryFormat(0.5f).Quantize(-0.0));
        Assert.Equal(-0.5, new BinaryFormat(0.5f).Quantize(-3));
        var t = new TernaryFormat(0.35f, 0.8f);
        Assert.Equal(0, t.Quantize(0.35));
        Assert.Equal(-0.8, t.Quantize(-0.36), 6);
    }
}
