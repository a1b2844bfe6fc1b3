namespace Ristretto.Formats;

/// <summary>Validation helpers that fail with a one-line <see cref="RistrettoException"/>.</summary>
internal static class Guard
{
    /// <summary>Throws <see cref="RistrettoException"/> with <paramref name="message"/> unless <paramref name="ok"/>.</summary>
    public static void Check(bool ok, string message)
    {
        if (!ok)
            throw new RistrettoException(message);
    }

    /// <summary>Throws unless <paramref name="value"/> lies in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static void InRange(string name, long value, long min, long max)
        => Check(value >= min && value <= max, $"{name} must be in [{min}, {max}], got {value}");

    /// <summary>True when <paramref name="x"/> is a positive, finite, normal float32 value.</summary>
    public static bool IsPositiveNormalFloat(double x)
        => x == (float)x && float.IsNormal((float)x) && x > 0;
}
