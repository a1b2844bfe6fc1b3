using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// The clipping threshold of a symmetric integer grid (codes 0 … <c>levels</c> on the positive side, the step
/// threshold / levels) chosen from a histogram of |x| over [0, max] (bin centres stand for their bins): the maximum
/// (<see cref="RangeMethod.Max"/>), a percentile of |x|, the least squared error with every value rounded onto the grid
/// and saturated as the format does (<see cref="RangeMethod.Mse"/>), or the least Kullback–Leibler divergence
/// (<see cref="RangeMethod.Kl"/>, <see cref="Calibration.KlDivergence"/>; ties keep the wider clip).
/// </summary>
public static class IntegerRange
{
    /// <summary>Clips tried by mse and kl: this many, evenly over (0, max].</summary>
    public const int Candidates = 128;

    /// <summary>The threshold <paramref name="method"/> chooses; <paramref name="max"/> without a histogram.</summary>
    public static double Clip(double[]? histogram, double max, long levels, RangeMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (histogram is null || histogram.Length == 0 || !(max > 0) || levels < 1 || method == RangeMethod.Max)
            return max;
        int n = histogram.Length;
        double width = max / n;
        if (method.Kind == "percentile")
        {
            double total = histogram.Sum(), wanted = total * method.Percentile / 100, seen = 0;
            for (int i = 0; i < n; i++)
                if ((seen += histogram[i]) >= wanted)
                    return Math.Min(max, (i + 1) * width);
            return max;
        }
        Func<double, double> error = method.Kind == "kl"
            ? clip => Calibration.KlDivergence(histogram, max, clip, levels)
            : clip => SquaredError(histogram, width, clip, levels);
        double best = max, bestError = error(max);
        for (int j = Candidates - 1; j >= 1; j--)
        {
            double clip = max * j / Candidates, e = error(clip);
            if (e < bestError)
                (best, bestError) = (clip, e);
        }
        return best;
    }

    /// <summary>The squared error over the histogram of rounding |x| onto <paramref name="levels"/> steps up to <paramref name="clip"/> (beyond it, saturated).</summary>
    public static double SquaredError(double[] histogram, double width, double clip, long levels)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        double step = clip / levels, error = 0;
        for (int i = 0; i < histogram.Length; i++)
        {
            if (histogram[i] == 0)
                continue;
            double x = (i + 0.5) * width;
            double q = Math.Min(Math.Round(x / step, MidpointRounding.ToEven), levels) * step;
            error += histogram[i] * (x - q) * (x - q);
        }
        return error;
    }

    /// <summary>A histogram of |<paramref name="values"/>| over [0, <paramref name="max"/>] in <paramref name="bins"/> bins.</summary>
    public static double[] Histogram(ReadOnlySpan<float> values, double max, int bins)
    {
        var h = new double[bins];
        double perBin = max > 0 ? bins / max : 0;
        foreach (float v in values)
            h[Math.Min((int)(Math.Abs(v) * perBin), bins - 1)]++;
        return h;
    }
}
