using System.Globalization;

namespace Ristretto.Quantization;

/// <summary>
/// How a format's range is chosen from calibration (the <c>--calibration</c> and <c>--weight-calibration</c> options):
/// <c>max</c> holds the largest value; <c>mse</c> picks, among ranges from the maximum down, the one with the least squared
/// error over the value histogram (rounding plus saturation); <c>percentile:P</c> holds the P-th percentile of |x|;
/// <c>kl</c> picks the range whose quantized histogram is closest to the float one in Kullback–Leibler divergence
/// (<see cref="Calibration.KlDivergence"/>); <c>output</c> (weights only) picks the range whose rounded weights change the
/// network's output least, in squared error over a sample of calibration images (<see cref="WeightOutputError"/>).
/// </summary>
public sealed record RangeMethod
{
    private RangeMethod(string kind, double percentile) => (Kind, Percentile) = (kind, percentile);

    /// <summary>max, mse, kl, output or percentile.</summary>
    public string Kind { get; }

    /// <summary>P of percentile:P (in (0, 100]); NaN otherwise.</summary>
    public double Percentile { get; }

    /// <summary>Hold the maximum.</summary>
    public static RangeMethod Max { get; } = new("max", double.NaN);

    /// <summary>Least squared error over the histogram.</summary>
    public static RangeMethod Mse { get; } = new("mse", double.NaN);

    /// <summary>Least Kullback–Leibler divergence between the histogram and its quantized form.</summary>
    public static RangeMethod Kl { get; } = new("kl", double.NaN);

    /// <summary>Least squared error of the network's output over calibration images, one layer's weights trimmed (weights only).</summary>
    public static RangeMethod Output { get; } = new("output", double.NaN);

    /// <summary>Hold the <paramref name="p"/>-th percentile of |x|.</summary>
    public static RangeMethod AtPercentile(double p) => p > 0 && p <= 100
        ? new("percentile", p)
        : throw new RistrettoException($"percentile:{p.ToString(CultureInfo.InvariantCulture)}: P must be in (0, 100], e.g. percentile:99.99");

    /// <summary>Whether the method needs a histogram of the values.</summary>
    public bool NeedsHistogram => Kind is not ("max" or "output");

    /// <summary>Parses max, mse, kl, output or percentile:P; one error line naming <paramref name="option"/> otherwise.</summary>
    public static RangeMethod Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "max")
            return Max;
        if (text == "mse")
            return Mse;
        if (text == "kl")
            return Kl;
        if (text == "output")
            return Output;
        if (text.StartsWith("percentile:", StringComparison.Ordinal)
            && double.TryParse(text["percentile:".Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out double p))
            return AtPercentile(p);
        throw new RistrettoException($"{option} {text}: expected max, mse, kl, output or percentile:P (P in (0, 100])");
    }

    /// <inheritdoc/>
    public override string ToString() => Kind == "percentile" ? $"percentile:{Percentile.ToString(CultureInfo.InvariantCulture)}" : Kind;
}
