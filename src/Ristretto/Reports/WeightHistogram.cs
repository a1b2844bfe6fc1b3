using static TorchSharp.torch;

namespace Ristretto.Reports;

/// <summary>A histogram of a layer's weights: equal-width bins over [min, max].</summary>
/// <param name="Min">Smallest weight.</param>
/// <param name="Max">Largest weight.</param>
/// <param name="Counts">Weights per bin.</param>
public sealed record WeightHistogram(double Min, double Max, long[] Counts)
{
    /// <summary>Width of one bin.</summary>
    public double BinWidth => (Max - Min) / Counts.Length;

    /// <summary>Centre of bin <paramref name="i"/>.</summary>
    public double Center(int i) => Min + (i + 0.5) * BinWidth;

    /// <summary>The histogram of <paramref name="weights"/> in <paramref name="bins"/> bins (read on the CPU, nothing kept).</summary>
    public static WeightHistogram Of(Tensor weights, int bins)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (bins < 1)
            throw new ArgumentOutOfRangeException(nameof(bins), bins, "at least one bin");
        float[] values;
        using (NewDisposeScope())
        using (no_grad())
            values = weights.detach().to(CPU).flatten().to_type(ScalarType.Float32).data<float>().ToArray();
        return FromValues(values, bins);
    }

    /// <summary>The histogram of <paramref name="values"/> in <paramref name="bins"/> bins; a constant tensor gets a unit-wide range around its value; NaN and ±Inf are left out.</summary>
    public static WeightHistogram FromValues(IReadOnlyList<float> values, int bins)
    {
        ArgumentNullException.ThrowIfNull(values);
        var finite = values.Where(float.IsFinite).ToList();
        double min = finite.Count > 0 ? finite.Min() : 0, max = finite.Count > 0 ? finite.Max() : 0;
        if (!(max > min))
            (min, max) = (min - 0.5, max + 0.5);
        var counts = new long[bins];
        double width = (max - min) / bins;
        foreach (float v in finite)
        {
            int k = (int)Math.Floor((v - min) / width);
            counts[Math.Clamp(k, 0, bins - 1)]++;
        }
        return new WeightHistogram(min, max, counts);
    }
}
