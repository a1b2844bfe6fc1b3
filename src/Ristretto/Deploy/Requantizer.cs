using System.Numerics;
using static TorchSharp.torch;

namespace Ristretto.Deploy;

/// <summary>
/// Requantization of integer accumulators onto an output grid, per channel:
/// <c>q = clamp(round_half_even((acc·m_c + β_c) / 2^n_c) + z, min, max)</c> with a fixed-point multiplier m_c and shift n_c
/// (<see cref="FixedPointMultiplier"/>) and β_c the bias on the product's grid. The product is held in 128 bits, so it is
/// exact for any accumulator below 2^53 and multiplier below 2^62. Runs over the tensor's memory in C#.
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

    private readonly Rational[]? _exact;

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
    public Requantizer(IReadOnlyList<FixedPointMultiplier> multipliers, IReadOnlyList<Int128> offsets, long zero, long min, long max,
        IReadOnlyList<Rational>? exact = null)
    {
        _exact = exact?.ToArray();
        _inexact = multipliers.Select(x => !x.Exact).ToArray();
        _m = multipliers.Select(x => x.Multiplier).ToArray();
        _shift = multipliers.Select(x => x.Shift).ToArray();
        _offset = offsets.ToArray();
        _zero = zero;
        _min = min;
        _max = max;
    }

    /// <summary>Codes (float32, exact) for <paramref name="acc"/>: integer values in a float32 or float64 tensor laid out [outer, channels, inner…] (channels 1: any layout).</summary>
    public Tensor Apply(Tensor acc)
    {
        using var scope = NewDisposeScope();
        var device = acc.device;
        var src = acc.dtype == ScalarType.Float64 ? acc.cpu().contiguous() : acc.cpu().to(ScalarType.Float64).contiguous();
        var dst = empty(src.shape, ScalarType.Float32);
        long n = src.numel();
        int channels = _m.Length;
        long inner = channels == 1 ? n : src.shape.Skip(2).Aggregate(1L, (a, b) => a * b);
        if (channels > 1 && src.shape[1] != channels)
            throw new InvalidOperationException($"{channels} requantization channels for a tensor of {src.shape[1]}");
        Run(src, dst, n, inner, channels);
        return (device.type == TorchSharp.DeviceType.CPU ? dst : dst.to(device)).MoveToOuterDisposeScope();
    }

    private unsafe void Run(Tensor src, Tensor dst, long n, long inner, int channels)
    {
        if (n == 0)
            return;
        fixed (byte* ps = src.bytes)
        fixed (byte* pd = dst.bytes)
        {
            var a = (double*)ps;
            var q = (float*)pd;
            long outer = n / (inner * channels);
            for (long o = 0; o < outer; o++)
            {
                for (int c = 0; c < channels; c++)
                {
                    long m = _m[c];
                    Int128 offset = _offset[c];
                    int shift = _shift[c];
                    Int128 half = Int128.One << (shift - 1);
                    long start = (o * channels + c) * inner;
                    bool settle = _exact is not null && (_inexact[c] || _exact[c].BiasInexact);
                    for (long i = start; i < start + inner; i++)
                    {
                        long acc = (long)a[i];
                        Int128 p = (Int128)acc * m + offset;
                        q[i] = settle && NearHalf(p, shift, half, acc) ? Clamp(_exact![c].RoundHalfEven(acc) + _zero) : Round(p, shift, half);
                    }
                }
            }
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
