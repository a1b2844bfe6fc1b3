using Ristretto.Formats;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// Dynamic-fixed-point ranges chosen from a histogram of |x| over [0, max] (bin centres stand for their bins): by the
/// least squared error (<see cref="RangeMethod.Mse"/>: every fractional length from the one that holds the maximum to
/// eight finer, each value rounded onto the grid and saturated as the format does), by the least Kullback–Leibler
/// divergence over the same candidates (<see cref="RangeMethod.Kl"/>; ties keep the wider range), or by a percentile.
/// </summary>
/// <remarks>
/// The squared error is sign-aware when the histogram of the negative values is given: a signed grid is asymmetric
/// (codes <c>−2^(b−1) … 2^(b−1) − 1</c>, at 2 bits <c>{−2, −1, 0, 1}·step</c>), so a negative value saturates at
/// <c>2^(b−1)·step</c> and a positive one at <c>(2^(b−1) − 1)·step</c>; an unsigned grid takes every negative value to 0.
/// Folding |x| onto the positive side never credits the extra negative level, which at 2 bits is a third of the grid:
/// on LeNet's conv2 (train seeds 1–4) the folded error chose a step twice as wide as the one of least actual error.
/// </remarks>
public static class DfpRange
{
    /// <summary>
    /// The format of <paramref name="bits"/> chosen by <paramref name="method"/>; without a histogram, the one holding <paramref name="max"/>.
    /// <paramref name="negative"/>: the part of <paramref name="histogram"/> that counts negative values (same bins; null: the
    /// sign is unknown and the error folds every value onto the positive side).
    /// </summary>
    public static DynamicFixedPoint Choose(int bits, double max, double[]? histogram, bool signed, RangeMethod method, double[]? negative = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        var holding = DynamicFixedPoint.Holding(bits, max, signed);
        if (histogram is null || histogram.Length == 0 || !(max > 0) || method == RangeMethod.Max)
            return holding;
        if (negative is not null && negative.Length != histogram.Length)
            throw new ArgumentException($"the negative histogram has {negative.Length} bins, the histogram {histogram.Length}", nameof(negative));
        double width = max / histogram.Length;
        if (method.Kind == "percentile")
        {
            double total = histogram.Sum(), wanted = total * method.Percentile / 100, seen = 0;
            for (int i = 0; i < histogram.Length; i++)
                if ((seen += histogram[i]) >= wanted)
                    return DynamicFixedPoint.Holding(bits, Math.Min(max, (i + 1) * width), signed);
            return holding;
        }
        return ChooseBy(bits, max, signed, method.Kind == "kl"
            ? f => Calibration.KlDivergence(histogram, max, Math.Min(max, (f.MaxCode + 0.5) * f.Step), f.MaxCode)
            : f => SquaredError(f, histogram, negative, width));
    }

    /// <summary>
    /// Of the formats from the one holding <paramref name="max"/> to eight finer, the one of least <paramref name="error"/>
    /// (the wider of equals).
    /// </summary>
    public static DynamicFixedPoint ChooseBy(int bits, double max, bool signed, Func<DynamicFixedPoint, double> error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var holding = DynamicFixedPoint.Holding(bits, max, signed);
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

    /// <summary>
    /// The squared error of <paramref name="format"/> over the histogram of |x| (bins of <paramref name="width"/>, centres
    /// standing for their bins): the positive values rounded onto codes 0 … <see cref="DynamicFixedPoint.MaxCode"/>, the
    /// negative ones (<paramref name="negative"/>) onto 0 … −<see cref="DynamicFixedPoint.MinCode"/>, each saturated as the
    /// format does; without <paramref name="negative"/>, every value is taken as positive.
    /// </summary>
    public static double SquaredError(DynamicFixedPoint format, double[] histogram, double[]? negative, double width)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(histogram);
        double step = format.Step, top = format.MaxCode * step, bottom = -format.MinCode * step, error = 0;
        for (int i = 0; i < histogram.Length; i++)
        {
            double below = negative?[i] ?? 0, above = histogram[i] - below;
            if (histogram[i] == 0)
                continue;
            double x = (i + 0.5) * width, nearest = Math.Round(x / step, MidpointRounding.ToEven) * step;
            double up = x - Math.Min(nearest, top), down = x - Math.Min(nearest, bottom);
            error += above * up * up + below * down * down;
        }
        return error;
    }
}
