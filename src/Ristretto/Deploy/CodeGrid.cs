using System.Numerics;
using Ristretto.Formats;

namespace Ristretto.Deploy;

/// <summary>
/// What the integer engine knows about a tensor of integer codes: <c>value = (code − Zero)·Mantissa·2^Exponent / Divisor</c>,
/// codes in [Min, Max]. A format's grid has Divisor 1 (a float32 scale is an odd integer times a power of two); a wide
/// grid (a sum, an average's numerator) has no range.
/// </summary>
internal sealed record CodeGrid(long Mantissa, int Exponent, long Divisor, long Zero, long Min, long Max)
{
    /// <summary>The grid of a per-tensor integer grid.</summary>
    public static CodeGrid Of(AffineGrid grid)
    {
        var (num, den) = FixedPointMultiplier.Rational(grid.Scales[0]);
        int twos = (int)BigInteger.TrailingZeroCount(num);
        return new CodeGrid((long)(num >> twos), twos - (int)(den.GetBitLength() - 1), 1, grid.ZeroPoints[0], grid.QMin, grid.QMax);
    }

    /// <summary>A grid of sums or numerators, without a range or zero point.</summary>
    public static CodeGrid Wide(long mantissa, int exponent, long divisor) => new(mantissa, exponent, divisor, 0, long.MinValue, long.MaxValue);

    /// <summary>The step as a double (exact when Divisor is 1).</summary>
    public double Step => Math.ScaleB(Mantissa, Exponent) / Divisor;

    /// <summary>The step as an exact rational.</summary>
    public (BigInteger Numerator, BigInteger Denominator) StepRational =>
        Exponent >= 0 ? (new BigInteger(Mantissa) << Exponent, new BigInteger(Divisor))
                      : (new BigInteger(Mantissa), new BigInteger(Divisor) << -Exponent);

    /// <summary>The largest |code − Zero| (a wide grid: unbounded).</summary>
    public double MaxOffset => Min == long.MinValue ? double.PositiveInfinity : Math.Max(Math.Abs((double)Min - Zero), Math.Abs((double)Max - Zero));
}
