using System.Diagnostics;
using System.Globalization;

namespace Ristretto.Bench;

/// <summary>A median with the smallest and largest value it was taken from.</summary>
internal readonly record struct Spread(double Median, double Min, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        return new Spread(median, sorted[0], sorted[^1]);
    }

    /// <summary>"median [min–max]" with <paramref name="format"/> for each number.</summary>
    public string Show(string format = "F2") => string.Create(CultureInfo.InvariantCulture,
        $"{Median.ToString(format, CultureInfo.InvariantCulture)} [{Min.ToString(format, CultureInfo.InvariantCulture)}–{Max.ToString(format, CultureInfo.InvariantCulture)}]");
}

/// <summary>
/// Times several variants of the same work in interleaved rounds (round r runs every variant once, in an order
/// rotated by r), so that each variant sees the same machine load. A variant's rate in a round is items per second
/// over a timed slot of repeated calls; ratios are taken per round, then their median, min and max reported.
/// </summary>
internal static class Interleaved
{
    /// <summary>Rates (items/s) per variant per round: <c>result[v][r]</c>.</summary>
    /// <param name="rounds">Timed rounds (≥ 5 for a median with min/max).</param>
    /// <param name="items">Items (images, iterations) one call handles.</param>
    /// <param name="slotSeconds">About how long one variant's timed slot lasts (calls are repeated to fill it).</param>
    /// <param name="variants">The calls to compare.</param>
    public static double[][] Rates(int rounds, double items, double slotSeconds, params Action[] variants)
    {
        var reps = new int[variants.Length];
        for (int v = 0; v < variants.Length; v++)
        {
            variants[v](); // warm-up
            var watch = Stopwatch.StartNew();
            variants[v]();
            double once = Math.Max(watch.Elapsed.TotalSeconds, 1e-6);
            reps[v] = (int)Math.Clamp(Math.Ceiling(slotSeconds / once), 1, 100_000);
        }
        var rates = variants.Select(_ => new double[rounds]).ToArray();
        for (int r = 0; r < rounds; r++)
        {
            for (int j = 0; j < variants.Length; j++)
            {
                int v = (j + r) % variants.Length;
                var watch = Stopwatch.StartNew();
                for (int i = 0; i < reps[v]; i++)
                    variants[v]();
                rates[v][r] = reps[v] * items / watch.Elapsed.TotalSeconds;
            }
        }
        return rates;
    }

    /// <summary>Per-round ratios <c>a[r] / b[r]</c>, summarised.</summary>
    public static Spread Ratio(double[] a, double[] b) => Spread.Of(a.Zip(b, (x, y) => x / y));
}
