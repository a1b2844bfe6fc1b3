using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;
using Ristretto.Search;
using TorchSharp.Modules;
using static TorchSharp.torch;

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

    [Fact]
    public void Should_Round_Negative_Values_Onto_The_Signed_Grids_Extra_Level_As_Brute_Force_Does()
    {
        // 2 bits: codes {−2, −1, 0, 1}. Step 0.5 holds −1 exactly (−2 · 0.5) and 0.3 within 0.2; folding |−1| onto the
        // positive side saturates it at 0.5, so the folded error prefers step 1, which rounds every 0.3 to 0.
        float[] w = [.. Enumerable.Repeat(-1f, 50), .. Enumerable.Repeat(0.3f, 200)];
        double[] h = new double[Calibration.WeightHistogramBins], negative = new double[h.Length];
        Calibration.Accumulate(w, 1.0, h, negative);
        var holding = DynamicFixedPoint.Holding(2, 1.0);
        var bruteForce = Enumerable.Range(holding.FractionalLength, 9).Select(fl => new DynamicFixedPoint(2, fl))
            .MinBy(f => w.Sum(v => Math.Pow(v - f.Quantize(v), 2)))!;
        Assert.Equal(1, bruteForce.FractionalLength);
        Assert.Equal(bruteForce, DfpRange.Choose(2, 1.0, h, true, RangeMethod.Mse, negative));
        Assert.Equal(0, DfpRange.Choose(2, 1.0, h, true, RangeMethod.Mse).FractionalLength); // folded, the sign unknown
        // The rules' mse stays folded (as before session 5): the negative histogram kept by calibration is not read.
        Assert.Equal(0, RangeRules.Default.WeightFormat(2, new LayerRange(1.0, 1, 1, 0) { WeightHistogram = h, WeightNegativeHistogram = negative }).FractionalLength);
        // Unsigned: a negative value becomes 0, so its error is its square.
        var unsigned = new DynamicFixedPoint(2, 1, signed: false);
        double expected = w.Sum(v => Math.Pow(v - unsigned.Quantize(v), 2));
        Assert.Equal(expected, DfpRange.SquaredError(unsigned, h, negative, 1.0 / h.Length), 0.05);
    }

    [Fact]
    public void Should_Choose_The_Weight_Length_Of_Least_Network_Output_Error_Where_The_Weight_Error_Keeps_An_Idle_Maximum()
    {
        // y = w·x with w = (1, 0.3, 0.3, 0.3) and inputs (0, 1, 1, 1): the largest weight multiplies nothing. The error over
        // the weights keeps it (step 1, each 0.3 rounded to 0: y = 0 for 0.9); the output error picks step 0.25 (y = 0.75).
        using var weight = new Parameter(tensor(new float[] { 1f, 0.3f, 0.3f, 0.3f }, [1, 4]));
        using var net = new NetworkBuilder("one-ip").Input("data", 1, 4).Add(new InnerProductLayer("ip", weight, null), "data", "ip").Build();
        var sample = new OutputSample(net);
        using (var x = tensor(new float[] { 0, 1, 1, 1, 0, 1, 1, 1 }, [2, 4]))
            sample.Add(x);
        float[] w = [1f, 0.3f, 0.3f, 0.3f];
        double[] h = new double[Calibration.WeightHistogramBins], negative = new double[h.Length];
        Calibration.Accumulate(w, 1.0, h, negative);
        var range = new LayerRange(1, 1, 1, 0) { WeightHistogram = h, WeightNegativeHistogram = negative, WeightOutputError = new WeightOutputError(sample, "ip") };
        var holding = DynamicFixedPoint.Holding(2, 1.0);
        var bruteForce = Enumerable.Range(holding.FractionalLength, 9).Select(fl => new DynamicFixedPoint(2, fl))
            .MinBy(f => 2 * Math.Pow(0.9 - 3 * f.Quantize(0.3), 2))!;
        Assert.Equal(2, bruteForce.FractionalLength);
        var output = RangeRules.Default with { WeightRange = RangeMethod.Output };
        Assert.Equal(bruteForce, output.WeightFormat(2, range));
        Assert.Equal(2 * Math.Pow(0.9 - 0.75, 2), range.WeightOutputError!.Of(bruteForce), 1e-5);
        Assert.Equal(0, RangeRules.Default.WeightFormat(2, range).FractionalLength); // the default: the histogram error
        Assert.Equal(0, output.WeightFormat(2, range with { WeightOutputError = null }).FractionalLength); // no sample: histogram error
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
