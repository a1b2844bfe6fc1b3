using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ristretto.Formats;

/// <summary>Shared float32 lane helpers of the fused kernels; each matches a line of the torch-op chain.</summary>
internal static class VectorMath
{
    private static readonly Vector256<float> Two24 = Vector256.Create(1f / (1 << 24));

    /// <summary><c>u = k · 2^-24</c>, exact (k &lt; 2^24).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Uniform(Vector256<uint> k)
        => Vector256.ConvertToSingle(k.AsInt32()) * Two24;

    /// <summary>
    /// Exact <c>floor(v + u)</c> without forming the inexact sum: on the magnitude <c>a = |v|</c>,
    /// <c>frac = a - floor(a)</c> is exact; a positive <c>v</c> rounds up when <c>frac ≥ 1 - u</c>, a negative
    /// one rounds its magnitude up when <c>frac &gt; u</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> StochasticFloor(Vector256<float> v, Vector256<float> u)
    {
        var a = Vector256.Abs(v);
        var fa = Vector256.Floor(a);
        var frac = a - fa;
        var neg = Vector256.LessThan(v, Vector256<float>.Zero);
        var up = Vector256.ConditionalSelect(neg,
            Vector256.GreaterThan(frac, u),
            Vector256.GreaterThanOrEqual(frac, Vector256<float>.One - u));
        var mag = fa + (up & Vector256<float>.One);
        return Vector256.ConditionalSelect(neg, -mag, mag);
    }

    /// <summary>Round half to even, or stochastic with the draws <paramref name="k"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> RoundToInteger(Vector256<float> v, Vector256<uint> k, bool stochastic)
        => stochastic ? StochasticFloor(v, Uniform(k)) : Vector256.Round(v);

    /// <summary>All lanes that are not NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NotNaN(Vector256<float> x) => Vector256.Equals(x, x);

    /// <summary>The stream's draws for the eight elements at logical indices <c>index … index + 7</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Draws(long index, uint k0, uint k1)
    {
        uint lo = (uint)index;
        if (lo > uint.MaxValue - 7)
            return DrawsSlow(index, k0, k1);
        var lanes = Vector256.Create((uint)lo) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        var hi = Vector256.Create((uint)((ulong)index >> 32) + k1);
        return Mix(Mix(lanes ^ Vector256.Create(k0)) ^ hi) >>> 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Mix(Vector256<uint> x)
    {
        x ^= x >>> 16;
        x *= Vector256.Create(StochasticStream.Multiplier1);
        x ^= x >>> 15;
        x *= Vector256.Create(StochasticStream.Multiplier2);
        x ^= x >>> 15;
        return x;
    }

    private static Vector256<uint> DrawsSlow(long index, uint k0, uint k1)
    {
        Span<uint> k = stackalloc uint[8];
        for (int i = 0; i < 8; i++)
            k[i] = StochasticStream.DrawWithKeys(k0, k1, index + i);
        return Vector256.Create<uint>(k);
    }
}
