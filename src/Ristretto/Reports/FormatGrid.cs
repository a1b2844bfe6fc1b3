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
        void Add(double v)
        {
            if (v >= lo && v <= hi && values.Count <= limit)
                values.Add(v == 0 ? 0 : v);
        }
        switch (format)
        {
            case DynamicFixedPoint d:
                for (long m = (long)Math.Max(d.MinCode, Math.Floor(lo / d.Step)); m <= (long)Math.Min(d.MaxCode, Math.Ceiling(hi / d.Step)) && values.Count <= limit; m++)
                    Add(m * d.Step);
                break;
            case IntegerFormat i:
                double s = i.Scales[0];
                int z = i.ZeroPoints[0];
                for (long q = (long)Math.Max(i.QMin, Math.Floor(lo / s) + z); q <= (long)Math.Min(i.QMax, Math.Ceiling(hi / s) + z) && values.Count <= limit; q++)
                    Add((q - z) * (double)s);
                break;
            case PowerOfTwo p:
                if (p.ZeroRepresentable)
                    Add(0);
                for (int e = p.MinExponent; e <= p.MaxExponent; e++)
                {
                    Add(Math.ScaleB(1.0, e));
                    Add(-Math.ScaleB(1.0, e));
                }
                break;
            case MiniFloat m:
                Add(0);
                for (int e = m.MinExponent; e <= m.MaxExponent && values.Count <= limit; e++)
                    for (int k = 0; k < 1 << m.MantissaBits && values.Count <= limit; k++)
                    {
                        double v = (1 + k / (double)(1 << m.MantissaBits)) * Math.ScaleB(1.0, e);
                        Add(v);
                        Add(-v);
                    }
                break;
            case BinaryFormat b:
                Add(b.Alpha);
                Add(-b.Alpha);
                break;
            case TernaryFormat t:
                Add(t.Alpha);
                Add(0);
                Add(-t.Alpha);
                break;
            default:
                throw new RistrettoException($"no grid for {format.Kind} formats");
        }
        return values.ToList();
    }
}
