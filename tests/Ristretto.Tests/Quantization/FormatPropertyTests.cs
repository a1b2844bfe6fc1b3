using FsCheck;
using FsCheck.Xunit;
using Ristretto.Formats;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Tests.Quantization;

/// <summary>
/// FsCheck properties over the format parameters themselves (the contract classes fix one format each): for any
/// valid configuration and any float32 inputs FsCheck draws (NaN, ±Inf, extremes included), both tensor paths
/// equal the scalar reference bit for bit, for both rounding modes.
/// </summary>
public class FormatPropertyTests
{
    [Property(MaxTest = 150)]
    public bool Should_Match_The_Reference_For_Any_Dynamic_Fixed_Point(PositiveInt bits, int fl, float[] xs, ulong seed)
        => Agrees(new DynamicFixedPoint(1 + bits.Get % 24, fl % 40), xs, seed);

    [Property(MaxTest = 150)]
    public bool Should_Match_The_Reference_For_Any_Minifloat(PositiveInt exp, PositiveInt mant, float[] xs, ulong seed)
        => Agrees(new MiniFloat(1 + exp.Get % 8, mant.Get % 24), xs, seed);

    [Property(MaxTest = 150)]
    public bool Should_Match_The_Reference_For_Any_Power_Of_Two(int lo, PositiveInt width, bool zero, float[] xs, ulong seed)
    {
        int min = Math.Clamp(lo % 100, -126, 120);
        return Agrees(new PowerOfTwo(min, Math.Min(127, min + width.Get % 20), zero), xs, seed);
    }

    [Property(MaxTest = 150)]
    public bool Should_Match_The_Reference_For_Any_Integer_Format(PositiveInt bits, bool signed, NormalFloat scale, int zero, float[] xs, ulong seed)
    {
        int b = 1 + bits.Get % 16;
        float s = (float)Math.Clamp(Math.Abs(scale.Get), 1e-6, 1e6);
        long qmax = signed ? (1L << (b - 1)) - 1 : (1L << b) - 1;
        int z = signed ? 0 : (int)(Math.Abs((long)zero) % (qmax + 1));
        return Agrees(new IntegerFormat(b, signed, [s], [z]), xs, seed);
    }

    [Property(MaxTest = 100)]
    public bool Should_Match_The_Reference_For_Any_Ternary(NormalFloat alpha, NormalFloat ratio, float[] xs, ulong seed)
    {
        float a = (float)Math.Clamp(Math.Abs(alpha.Get), 1e-3, 1e3);
        float t = (float)(a * (Math.Abs(ratio.Get) % 1.0));
        return Agrees(new TernaryFormat(Math.Min(t, MathF.BitDecrement(a)), a), xs, seed);
    }

    [Property(MaxTest = 100)]
    public bool Should_Never_Produce_NaN_Or_Leave_The_Range(PositiveInt bits, int fl, float[] xs)
    {
        var format = new DynamicFixedPoint(1 + bits.Get % 24, fl % 40);
        var (lo, hi) = format.ClipRange();
        return xs.All(x => format.Quantize(x) is var q && !double.IsNaN(q) && q >= lo && q <= hi);
    }

    private static bool Agrees(NumberFormat format, float[] xs, ulong seed)
    {
        if (xs.Length == 0)
            return true;
        using var scope = NewDisposeScope();
        var x = tensor(xs);
        foreach (var rounding in new[] { Rounding.Nearest, Rounding.Stochastic })
        {
            foreach (var path in new[] { TrimPath.Fused, TrimPath.Chain })
            {
                var y = Trimmer.Trim(format, x, rounding, seed, path).data<float>().ToArray();
                for (int i = 0; i < xs.Length; i++)
                {
                    float expected = (float)format.Quantize(xs[i], rounding, StochasticStream.Uniform(seed, i));
                    if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(y[i]))
                        return false;
                }
            }
        }
        return true;
    }
}
