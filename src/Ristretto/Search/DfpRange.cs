using Ristretto.Formats;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// Dynamic-fixed-point ranges chosen from a histogram of |x| over [0, max] (bin centres stand for their bins): by the
/// least squared error (<see cref="RangeMethod.Mse"/>: every fractional length from the one that holds the maximum to
/// eight finer, each value rounded onto the grid and saturated as the format does), by the least Kullback–Leibler
/// divergence over the same candidates (<see cref="RangeMethod.Kl"/>; ties keep the wider range), or by a percentile.
/// </summary>
public static class DfpRange
{
    /// <summary>The format of <paramref name="bits"/> chosen by <paramref name="method"/>; without a histogram, the one holding <paramref name="max"/>.</summary>
    public static DynamicFixedPoint Choose(int bits, double max, double[]? histogram, bool signed, RangeMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        var holding = DynamicFixedPoint.Holding(bits, max, signed);
        if (histogram is null || histogram.Length == 0 || !(max > 0) || method == RangeMethod.Max)
            return holding;
        double width = max / histogram.Length;
        if (method.Kind == "percentile")
        {
            double total = histogram.Sum(), wanted = total * method.Percentile / 100, seen = 0;
            for (int i = 0; i < histogram.Length; i++)
                if ((seen += histogram[i]) >= wanted)
                    return DynamicFixedPoint.Holding(bits, Math.Min(max, (i + 1) * width), signed);
            return holding;
        }
        Func<DynamicFixedPoint, double> error = method.Kind == "kl"
            ? f => Calibration.KlDivergence(histogram, max, Math.Min(max, (f.MaxCode + 0.5) * f.Step), f.MaxCode)
            : f => Error(f, histogram, width);
        var best = holding;
        double bestError = error(holding);
        for (int finer = 1; finer <= 8 && holding.FractionalLength + finer <= 126; finer++)
        {
            var candidate = new DynamicFixedPoint(bits, holding.FractionalLength + finer, signed);
            double e = error(candidate);
            if (e < bestError)
                (best, bestError) = (candidate, e);
        }
        return best;
    }

    /// <summary>The squared error of <paramref name="format"/> over the histogram (|x| rounded onto its positive side).</summary>
    private static double Error(DynamicFixedPoint format, double[] histogram, double width)
    {
        double step = format.Step, top = format.MaxCode * step, error = 0;
        for (int i = 0; i < histogram.Length; i++)
        {
            if (histogram[i] == 0)
                continue;
            double x = (i + 0.5) * width;
            double q = Math.Min(Math.Round(x / step, MidpointRounding.ToEven) * step, top);
            error += histogram[i] * (x - q) * (x - q);
        }
        return error;
    }
}
