using Ristretto.Formats;
using Ristretto.Quantization;
using Ristretto.Search;

namespace Ristretto.Tests.Search;

/// <summary>Issue 15 part 1 (dynamic fixed point): ranges chosen by error or percentile from a histogram.</summary>
public class DfpRangeTests
{
    [Fact]
    public void Should_Hold_The_Maximum_With_Max_Or_Without_A_Histogram()
    {
        var holding = DynamicFixedPoint.Holding(8, 3.0);
        Assert.Equal(holding, DfpRange.Choose(8, 3.0, null, true, RangeMethod.Mse));
        Assert.Equal(holding, DfpRange.Choose(8, 3.0, Bell(), true, RangeMethod.Max));
    }

    [Fact]
    public void Should_Clip_A_Long_Tail_At_Low_Widths_By_Error_And_Keep_The_Maximum_At_High_Widths()
    {
        var h = Bell();
        var two = DfpRange.Choose(2, 3.0, h, true, RangeMethod.Mse);
        Assert.True(two.FractionalLength > DynamicFixedPoint.Holding(2, 3.0).FractionalLength, $"2-bit kept the whole tail: {two}");
        Assert.Equal(DynamicFixedPoint.Holding(16, 3.0), DfpRange.Choose(16, 3.0, h, true, RangeMethod.Mse));
    }

    [Fact]
    public void Should_Hold_The_Percentile()
    {
        var h = new double[100];
        h[9] = 99; // 99 % of the values lie below 0.1 of the maximum 10
        h[99] = 1;
        var f = DfpRange.Choose(8, 10.0, h, false, RangeMethod.AtPercentile(99));
        Assert.Equal(DynamicFixedPoint.Holding(8, 1.0, signed: false), f);
    }

    [Fact]
    public void Should_Clip_A_Long_Tail_At_Low_Widths_By_Kl_And_Keep_The_Maximum_Where_The_Grid_Is_Finer_Than_The_Bins()
    {
        var h = Bell();
        var four = DfpRange.Choose(4, 3.0, h, true, RangeMethod.Kl);
        Assert.True(four.FractionalLength > DynamicFixedPoint.Holding(4, 3.0).FractionalLength, $"4-bit kept the whole tail: {four}");
        Assert.Equal(DynamicFixedPoint.Holding(16, 3.0), DfpRange.Choose(16, 3.0, h, true, RangeMethod.Kl));
        Assert.Same(RangeMethod.Kl, RangeMethod.Parse("kl", "--calibration"));
    }

    [Fact]
    public void Should_Measure_No_Divergence_For_A_Grid_As_Fine_As_The_Bins_And_Some_For_A_Coarse_One()
    {
        var h = Bell();
        Assert.Equal(0, Calibration.KlDivergence(h, 3.0, 3.0, 300));
        Assert.True(Calibration.KlDivergence(h, 3.0, 3.0, 3) > Calibration.KlDivergence(h, 3.0, 3.0, 30));
    }

    [Theory]
    [InlineData("entropy")]
    [InlineData("percentile:0")]
    [InlineData("percentile:x")]
    public void Should_Refuse_Unknown_Methods_In_One_Line(string text)
    {
        var e = Assert.Throws<RistrettoException>(() => RangeMethod.Parse(text, "--calibration"));
        Assert.Contains(text.Split(':')[0], e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>|x| of a bell-shaped tensor over [0, 3]: most values small, a thin tail to the maximum.</summary>
    private static double[] Bell()
    {
        var h = new double[300];
        for (int i = 0; i < h.Length; i++)
            h[i] = Math.Round(1e6 * Math.Exp(-0.5 * Math.Pow((i + 0.5) / 100 / 0.5, 2))) + 1;
        return h;
    }
}
