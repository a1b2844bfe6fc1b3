namespace Ristretto.Tests.Quantization;

/// <summary>Edge-value generators shared by the format contract tests.</summary>
internal static class Edges
{
    /// <summary><paramref name="v"/> and its float32 neighbours.</summary>
    public static IEnumerable<double> WithNeighbours(double v)
    {
        float f = (float)v;
        yield return f;
        yield return MathF.BitIncrement(f);
        yield return MathF.BitDecrement(f);
    }

    /// <summary>Grid points, their neighbours and the ties between them for an integer grid <c>(q - z) · s</c>.</summary>
    public static IEnumerable<double> Affine(Random rng, double scale, double zero, long qmin, long qmax, int count = 3000)
    {
        for (int i = 0; i < count; i++)
        {
            long k = rng.NextInt64(qmin - 3, qmax + 4);
            foreach (var v in WithNeighbours((k - zero) * scale))
                yield return v;
            yield return (k - zero + 0.5) * scale;
            yield return -(k - zero + 0.5) * scale;
        }
        foreach (var v in WithNeighbours((qmax - zero + 0.5) * scale))
            yield return v;
        foreach (var v in WithNeighbours((qmin - zero - 0.5) * scale))
            yield return v;
    }
}
