using Ristretto.Formats;

namespace Ristretto.Reports;

/// <summary>The values a number format can represent within a range: the grid drawn over a weight histogram.</summary>
public static class FormatGrid
{
    /// <summary>
    /// The representable values of <paramref name="format"/> (channel 0 for a per-channel format) in
    /// [<paramref name="lo"/>, <paramref name="hi"/>], ascending; at most <paramref name="limit"/> + 1 values are
    /// enumerated (the caller thins a dense grid).
    /// </summary>
    public static IReadOnlyList<double> Values(NumberFormat format, double lo, double hi, int limit = 4096)
    {
        ArgumentNullException.ThrowIfNull(format);
        var values = new SortedSet<double>();
        foreach (double v in format.GridValues(lo, hi))
        {
            if (values.Count > limit)
                break;
            if (v >= lo && v <= hi)
                values.Add(v == 0 ? 0 : v);
        }
        return values.ToList();
    }
}
