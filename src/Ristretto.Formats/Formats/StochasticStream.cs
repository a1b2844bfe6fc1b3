namespace Ristretto.Formats;

/// <summary>
/// The counter-based uniform stream behind <see cref="Rounding.Stochastic"/>: element <c>i</c> of a tensor
/// trimmed with seed <c>s</c> draws <c>u = k · 2^-24</c>, <c>k = Hash(s, i) &gt;&gt; 8</c>, so every device
/// gives the same bits with no generator state. Only 24 random bits are used, so <c>u</c>, <c>1 - u</c>
/// and their comparisons are exact in float32. <c>i</c> is the element's row-major (logical) index.
/// </summary>
/// <remarks>
/// The hash works on 32-bit words with multipliers below 2^31, so it can be reproduced exactly with 64-bit
/// signed integer tensor ops (products stay below 2^63). Mixing function: two rounds of
/// xorshift-multiply (constants 0x21f0aaad and 0x735a2d97).
/// </remarks>
public static class StochasticStream
{
    /// <summary>First multiplier of <see cref="Mix"/>.</summary>
    public const uint Multiplier1 = 0x21f0aaad;

    /// <summary>Second multiplier of <see cref="Mix"/>.</summary>
    public const uint Multiplier2 = 0x735a2d97;

    /// <summary>Number of random bits in each draw.</summary>
    public const int Bits = 24;

    /// <summary>One 32-bit mixing round: a bijection of <paramref name="x"/>.</summary>
    public static uint Mix(uint x)
    {
        x ^= x >> 16;
        x *= Multiplier1;
        x ^= x >> 15;
        x *= Multiplier2;
        x ^= x >> 15;
        return x;
    }

    /// <summary>The two 32-bit keys derived from a 64-bit seed: element words are mixed with them.</summary>
    public static (uint Low, uint High) Keys(ulong seed)
    {
        uint k0 = Mix((uint)seed ^ 0x9e3779b9u);
        uint k1 = Mix((uint)(seed >> 32) ^ k0);
        return (k0, k1);
    }

    /// <summary>The 24-bit draw <c>k</c> for element <paramref name="index"/>; <c>u = k · 2^-24</c>.</summary>
    public static uint Draw(ulong seed, long index)
    {
        var (k0, k1) = Keys(seed);
        return DrawWithKeys(k0, k1, index);
    }

    /// <summary><see cref="Draw"/> with precomputed <see cref="Keys"/>.</summary>
    public static uint DrawWithKeys(uint k0, uint k1, long index)
    {
        uint lo = (uint)index;
        uint hi = (uint)((ulong)index >> 32);
        return Mix(Mix(lo ^ k0) ^ (hi + k1)) >> 8;
    }

    /// <summary>The uniform value <c>u</c> in [0, 1) for element <paramref name="index"/> (exactly a multiple of 2^-24).</summary>
    public static double Uniform(ulong seed, long index) => Draw(seed, index) * (1.0 / (1 << Bits));
}
