using System.Numerics;
using static TorchSharp.torch;

namespace Ristretto.Deploy;

/// <summary>
/// Requantization of integer accumulators onto an output grid, per channel:
/// <c>q = clamp(round_half_even((acc·m_c + β_c) / 2^n_c) + z, min, max)</c> with a fixed-point multiplier m_c and shift n_c
/// (<see cref="FixedPointMultiplier"/>) and β_c the bias on the product's grid. The reference form holds the product in
/// 128 bits, so it is exact for any accumulator below 2^53 and multiplier below 2^62 (<see cref="ApplyReference"/>, a
/// scalar loop). <see cref="Apply"/> runs the same rounding in 64-bit SIMD lanes (<see cref="Vector{T}"/> over the
/// tensor's memory): each channel also has a multiplier narrowed so that the product of any accumulator up to the
/// channel's limit fits in 63 bits; lanes beyond the limit, and lanes whose product lands within the multiplier's error of
/// a halfway point, take the reference form, so both give the same codes (the bench <c>integer-engine</c> times both).
/// </summary>
internal sealed class Requantizer
{
    private readonly long[] _m;
    private readonly Int128[] _offset;
    private readonly int[] _shift;
    private readonly long _zero;
    private readonly long _min;
    private readonly long _max;
    private readonly bool[] _inexact;
    private readonly Lanes?[] _lanes;

    private readonly Rational[]? _exact;

    /// <summary>A channel's 64-bit form: products of accumulators up to <paramref name="Limit"/> fit in 63 bits.</summary>
    private sealed record Lanes(long Multiplier, long Offset, int Shift, long Limit, bool Settle);

    /// <summary>Creates the requantizer.</summary>
    /// <param name="multipliers">Per channel.</param>
    /// <param name="offsets">Per channel: the bias on the product's grid (<see cref="FixedPointMultiplier.OffsetOf"/>).</param>
    /// <param name="zero">The output's zero point.</param>
    /// <param name="min">The smallest output code.</param>
    /// <param name="max">The largest output code.</param>
    /// <param name="exact">
    /// Per channel, the exact factor and bias: where a multiplier is not exact, a product that lands within its error of a
    /// halfway point is settled with these (a true tie rounds to even, as real arithmetic does); null keeps the
    /// multiplier's own rounding (a datapath that has only the multiplier, as TFLite's int32 one).
    /// </param>
    /// <param name="accumulatorBits">Bits of the largest |accumulator| expected (the 64-bit lanes are sized for it; larger ones take the 128-bit form).</param>
    public Requantizer(IReadOnlyList<FixedPointMultiplier> multipliers, IReadOnlyList<Int128> offsets, long zero, long min, long max,
        IReadOnlyList<Rational>? exact = null, int accumulatorBits = 32)
    {
        _exact = exact?.ToArray();
        _inexact = multipliers.Select(x => !x.Exact).ToArray();
        _m = multipliers.Select(x => x.Multiplier).ToArray();
        _shift = multipliers.Select(x => x.Shift).ToArray();
        _offset = offsets.ToArray();
        _zero = zero;
        _min = min;
        _max = max;
        bool intCodes = min >= int.MinValue && max <= int.MaxValue;
        _lanes = Enumerable.Range(0, _m.Length).Select(c => intCodes ? LanesOf(c, Math.Clamp(accumulatorBits, 1, 58)) : null).ToArray();
    }

    /// <summary>The channel's 64-bit form, or null where the multiplier or bias cannot be narrowed to one.</summary>
    private Lanes? LanesOf(int c, int accumulatorBits)
    {
        if (_exact is null)
        {
            // Without settling the lanes must compute exactly what the 128-bit form does: the same multiplier and bias.
            var lanes = new Lanes(_m[c], 0, _shift[c], 0, false);
            return _shift[c] <= 62 && Int128.Abs(_offset[c]) < Int128.One << 61 ? Sized(lanes with { Offset = (long)_offset[c] }) : null;
        }
        // The exact rationals settle any lane the narrowed multiplier leaves near a halfway point: any width is exact.
        var r = _exact[c];
        int bits = 61 - accumulatorBits;
        if (bits < 2 || r.FactorNumerator > r.FactorDenominator << (bits - 2))
            return null;
        var m = FixedPointMultiplier.Of(r.FactorNumerator, r.FactorDenominator, bits);
        if (m.Shift > 62)
            return null;
        var (offset, offsetExact) = m.OffsetOf(r.BiasNumerator, r.BiasDenominator);
        if (Int128.Abs(offset) >= Int128.One << 61)
            return null;
        return Sized(new Lanes(m.Multiplier, (long)offset, m.Shift, 0, !m.Exact || !offsetExact));
    }

    /// <summary><paramref name="lanes"/> with the largest accumulator whose product and offset stay below 2^62.</summary>
    private static Lanes? Sized(Lanes lanes)
    {
        long room = (1L << 62) - Math.Abs(lanes.Offset);
        long limit = room / Math.Max(lanes.Multiplier, 1);
        return limit < 1 ? null : lanes with { Limit = limit };
    }

    /// <summary>Codes (float32, exact) for <paramref name="acc"/>: integer values in a float32 or float64 tensor laid out [outer, channels, inner…] (channels 1: any layout).</summary>
    public Tensor Apply(Tensor acc) => Requantize(acc, reference: false);

    /// <summary>As <see cref="Apply(Tensor)"/>, every value through the scalar 128-bit form (the reference the SIMD lanes are measured and tested against).</summary>
    public Tensor ApplyReference(Tensor acc) => Requantize(acc, reference: true);

    private Tensor Requantize(Tensor acc, bool reference)
    {
        using var scope = NewDisposeScope();
        var device = acc.device;
        var src = acc.cpu().to(ScalarType.Int64).contiguous();
        var dst = empty(src.shape, ScalarType.Float32);
        long n = src.numel();
        int channels = _m.Length;
        long inner = channels == 1 ? n : src.shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        if (channels > 1 && src.shape[1] != channels)
            throw new InvalidOperationException($"{channels} requantization channels for a tensor of {src.shape[1]}");
        Run(src, dst, n, inner, channels, reference);
        return (device.type == TorchSharp.DeviceType.CPU ? dst : dst.to(device)).MoveToOuterDisposeScope();
    }

    private unsafe void Run(Tensor src, Tensor dst, long n, long inner, int channels, bool reference)
    {
        if (n == 0)
            return;
        fixed (byte* ps = src.bytes)
        fixed (byte* pd = dst.bytes)
        {
            var a = (long*)ps;
            var q = (float*)pd;
            long outer = n / (inner * channels);
            for (long o = 0; o < outer; o++)
            {
                for (int c = 0; c < channels; c++)
                {
                    long start = (o * channels + c) * inner;
                    long done = reference || _lanes[c] is not { } lanes ? 0 : Vectorized(a + start, q + start, inner, c, lanes);
                    Scalar(a, q, start + done, start + inner, c);
                }
            }
        }
    }

    /// <summary>The 128-bit form over [<paramref name="from"/>, <paramref name="to"/>) of channel <paramref name="c"/>.</summary>
    private unsafe void Scalar(long* a, float* q, long from, long to, int c)
    {
        long m = _m[c];
        Int128 offset = _offset[c];
        int shift = _shift[c];
        Int128 half = Int128.One << (shift - 1);
        bool settle = _exact is not null && (_inexact[c] || _exact[c].BiasInexact);
        for (long i = from; i < to; i++)
        {
            long acc = a[i];
            Int128 p = (Int128)acc * m + offset;
            q[i] = settle && NearHalf(p, shift, half, acc) ? Clamp(_exact![c].RoundHalfEven(acc) + _zero) : Round(p, shift, half);
        }
    }

    /// <summary>
    /// The 64-bit lanes over the first whole blocks of <paramref name="count"/> values (two vectors of longs make one of
    /// floats); a block with a lane beyond the limit or near a halfway point goes through <see cref="Scalar"/>. Returns how
    /// many values it handled.
    /// </summary>
    private unsafe long Vectorized(long* a, float* q, long count, int c, Lanes lanes)
    {
        int width = Vector<long>.Count;
        long blocks = count / (2 * width) * (2 * width);
        if (blocks == 0)
            return 0;
        var m = new Vector<long>(lanes.Multiplier);
        var offset = new Vector<long>(lanes.Offset);
        var half = new Vector<long>(1L << (lanes.Shift - 1));
        var low = new Vector<long>((1L << lanes.Shift) - 1);
        var limit = new Vector<long>(lanes.Limit);
        var zero = new Vector<long>(_zero);
        var min = new Vector<long>(_min);
        var max = new Vector<long>(_max);
        var two = new Vector<long>(2);
        for (long i = 0; i < blocks; i += 2 * width)
        {
            var a0 = Vector.Load(a + i);
            var a1 = Vector.Load(a + i + width);
            if (Vector.GreaterThanAny(Vector.Abs(a0), limit) || Vector.GreaterThanAny(Vector.Abs(a1), limit)
                || !Code(a0, out var q0) || !Code(a1, out var q1))
            {
                Scalar(a, q, i, i + 2 * width, c);
                continue;
            }
            Vector.ConvertToSingle(Vector.Narrow(q0, q1)).Store(q + i);
        }
        return blocks;

        // round_half_even((acc·m + β) >> n) + z, clamped; false when a lane must be settled exactly.
        bool Code(Vector<long> acc, out Vector<long> code)
        {
            var p = acc * m + offset;
            var floor = Vector.ShiftRightArithmetic(p, lanes.Shift);
            var rest = p & low;
            var odd = Vector.Equals(floor & Vector<long>.One, Vector<long>.One);
            var up = Vector.GreaterThan(rest, half) | (Vector.Equals(rest, half) & odd);
            code = Vector.Min(Vector.Max(floor - up + zero, min), max);
            return !lanes.Settle || !Vector.LessThanOrEqualAny(Vector.Abs(rest - half), Vector.Abs(acc) + two);
        }
    }

    /// <summary>Whether p's remainder lies within the multiplier's error (|acc|/2 + 1/2 units of 2^−shift, and one for the bias) of the halfway point.</summary>
    private static bool NearHalf(Int128 p, int shift, Int128 half, long acc)
    {
        Int128 floor = p >> shift;
        Int128 rest = p - (floor << shift);
        Int128 distance = Int128.Abs(rest - half);
        return distance <= Int128.Abs(acc) + 2;
    }

    private float Clamp(BigInteger code) => code < _min ? _min : code > _max ? _max : (float)(long)code;

    private float Round(Int128 p, int shift, Int128 half)
    {
        Int128 floor = p >> shift;
        Int128 rest = p - (floor << shift);
        if (rest > half || (rest == half && !Int128.IsEvenInteger(floor)))
            floor++;
        floor += _zero;
        return floor < _min ? _min : floor > _max ? _max : (float)(long)floor;
    }
}

/// <summary>The exact requantization of one channel: <c>round_half_even(acc · Factor + Bias)</c>, both rationals.</summary>
internal sealed record Rational(BigInteger FactorNumerator, BigInteger FactorDenominator, BigInteger BiasNumerator, BigInteger BiasDenominator, bool BiasInexact)
{
    /// <summary>round_half_even(acc · Factor + Bias), exactly.</summary>
    public BigInteger RoundHalfEven(long acc)
    {
        var n = acc * FactorNumerator * BiasDenominator + BiasNumerator * FactorDenominator;
        var d = FactorDenominator * BiasDenominator;
        var q = BigInteger.DivRem(n, d, out var r);
        if (r.Sign < 0)
        {
            q -= 1;
            r += d;
        }
        var twice = r * 2;
        return twice > d || (twice == d && !q.IsEven) ? q + 1 : q;
    }
}
