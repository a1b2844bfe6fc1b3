using System.Numerics;

namespace Ristretto.Deploy;

/// <summary>
/// A positive real rescale factor M held the way an integer datapath multiplies by it (gemmlowp/TFLite style): an
/// integer <see cref="Multiplier"/> of at most the chosen number of bits and a right <see cref="Shift"/>, so that
/// <c>x·M ≈ (x·Multiplier) &gt;&gt; Shift</c>; <see cref="Exact"/> when the two are equal (M a dyadic rational that fits).
/// </summary>
/// <param name="Multiplier">The integer multiplier, normalised into [2^(bits−1), 2^bits) unless the shift limit stopped it.</param>
/// <param name="Shift">The right shift after the product, 1 to <see cref="MaxShift"/>.</param>
/// <param name="Exact">Whether <c>Multiplier · 2^−Shift</c> is M itself.</param>
public readonly record struct FixedPointMultiplier(long Multiplier, int Shift, bool Exact)
{
    /// <summary>The largest shift (products are held in 128 bits).</summary>
    public const int MaxShift = 120;

    /// <summary>The multiplier nearest to <paramref name="numerator"/> / <paramref name="denominator"/> with <paramref name="bits"/> bits (2 to 62).</summary>
    public static FixedPointMultiplier Of(BigInteger numerator, BigInteger denominator, int bits)
    {
        if (numerator.Sign <= 0 || denominator.Sign <= 0)
            throw new ArgumentOutOfRangeException(nameof(numerator), "a requantization factor must be positive");
        if (bits is < 2 or > 62)
            throw new ArgumentOutOfRangeException(nameof(bits), "2 to 62 bits");
        // floor(log2(num/den)): from the bit lengths, corrected by one comparison.
        long log = (long)numerator.GetBitLength() - (long)denominator.GetBitLength();
        if (Scaled(denominator, log) > numerator)
            log--;
        long shift = bits - 1 - log;
        if (shift < 1)
            throw new RistrettoException($"a requantization factor of 2^{log} is too large for a {bits}-bit multiplier");
        shift = Math.Min(shift, MaxShift);
        var (m, exact) = RoundHalfEven(numerator << (int)shift, denominator);
        if (m >= BigInteger.One << bits)
        {
            (m, exact) = RoundHalfEven(numerator << (int)(shift - 1), denominator);
            shift--;
        }
        return new FixedPointMultiplier((long)m, (int)shift, exact);
    }

    /// <summary><c>round_half_even(value · 2^Shift)</c> for a rational <paramref name="numerator"/> / <paramref name="denominator"/>: an offset added to the product before the shift (the bias), with whether it is exact.</summary>
    public (Int128 Offset, bool Exact) OffsetOf(BigInteger numerator, BigInteger denominator)
    {
        var (q, exact) = RoundHalfEven(numerator << Shift, denominator);
        if (BigInteger.Abs(q) >= BigInteger.One << 125)
            throw new RistrettoException("a bias is too large for the engine's 128-bit product");
        return ((Int128)q, exact);
    }

    /// <summary>The exact rational value of a finite double: (numerator, denominator), the denominator a power of two.</summary>
    public static (BigInteger Numerator, BigInteger Denominator) Rational(double x)
    {
        if (!double.IsFinite(x))
            throw new RistrettoException($"a scale or bias of {x} has no integer form");
        if (x == 0)
            return (BigInteger.Zero, BigInteger.One);
        long bits = BitConverter.DoubleToInt64Bits(Math.Abs(x));
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & ((1L << 52) - 1);
        if (exponent == 0)
            exponent = 1;
        else
            mantissa |= 1L << 52;
        int e = exponent - 1075;
        var num = new BigInteger(Math.Sign(x) * mantissa);
        return e >= 0 ? (num << e, BigInteger.One) : (num, BigInteger.One << -e);
    }

    /// <summary>round_half_even(<paramref name="n"/> / <paramref name="d"/>), d &gt; 0, with whether the division was exact.</summary>
    private static (BigInteger Quotient, bool Exact) RoundHalfEven(BigInteger n, BigInteger d)
    {
        var q = BigInteger.DivRem(n, d, out var r);
        if (r.Sign < 0)
        {
            q -= 1;
            r += d;
        }
        var twice = r * 2;
        if (twice > d || (twice == d && !q.IsEven))
            q += 1;
        return (q, r.IsZero);
    }

    private static BigInteger Scaled(BigInteger d, long log) => log >= 0 ? d << (int)log : d >> (int)-log;
}
