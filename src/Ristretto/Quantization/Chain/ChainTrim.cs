using Ristretto.Engine;
using Ristretto.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Quantization.Chain;

/// <summary>
/// Every format as a chain of torch ops: the path for CUDA and for tensors the fused kernel cannot take.
/// Each line mirrors the fused kernel's float32 arithmetic so both give the same bits (the tests check it
/// against the scalar reference on CPU).
/// </summary>
internal static class ChainTrim
{
    /// <summary>Trims float32 <paramref name="x"/> (any device or layout) into a new tensor.</summary>
    public static Tensor Trim(NumberFormat format, Tensor x, Rounding rounding, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var u = rounding == Rounding.Stochastic ? StochasticTensor.Uniform(x.shape, seed, x.device) : null;
        var y = format switch
        {
            DynamicFixedPoint d => Affine(x, Scalar(x, (float)d.Step), Scalar(x, 0f), d.MinCode, d.MaxCode, u),
            IntegerFormat i => Affine(x, Channels(x, i, i.Scales.Select(s => s)), Channels(x, i, i.ZeroPoints.Select(z => (float)z)), i.QMin, i.QMax, u),
            MiniFloat m => MiniFloat(x, m, u),
            PowerOfTwo p => PowerOfTwo(x, p, u),
            BinaryFormat b => Binary(x, b, u),
            TernaryFormat t => Ternary(x, t, u),
            _ => OnCpu(format, x, rounding, seed), // a format with no torch-op form: its own CPU trim, and back
        };
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Trims through the format's own CPU implementation (<see cref="NumberFormat.Trim"/>) on a contiguous copy.</summary>
    private static unsafe Tensor OnCpu(NumberFormat format, Tensor x, Rounding rounding, ulong seed)
    {
        var y = x.to(float32).cpu().contiguous().clone();
        long n = y.numel();
        long inner = format.ChannelAxis is { } axis ? y.shape.Skip(axis + 1).Aggregate(1L, (a, b) => a * b) : Math.Max(n, 1);
        fixed (byte* p = y.bytes)
            format.Trim((float*)p, (float*)p, n, inner, rounding, seed);
        return y.to(x.device);
    }

    private static Tensor Affine(Tensor x, Tensor scale, Tensor zero, double qmin, double qmax, Tensor? u)
    {
        var v = x / scale;
        var r = u is null ? v.round() : StochasticFloor(v, u);
        var q = r.Plus(zero).ClampTo(qmin, qmax);
        q = where(v.isnan(), zero.expand_as(q), q);
        return (q - zero) * scale;
    }

    /// <summary>Exact <c>floor(v + u)</c>, as <see cref="VectorMath.StochasticFloor"/>.</summary>
    private static Tensor StochasticFloor(Tensor v, Tensor u)
    {
        var a = v.abs();
        var fa = a.floor();
        var frac = a - fa;
        var neg = v.LessThan(0);
        var up = where(neg, frac > u, frac >= u.SubtractedFrom(1));
        var mag = fa.Plus(up.to(ScalarType.Float32));
        return where(neg, -mag, mag);
    }

    private static Tensor MiniFloat(Tensor x, MiniFloat f, Tensor? u)
    {
        int m = f.MantissaBits;
        var a = x.abs();
        var (mant, exp) = frexp(a);                        // a = mant · 2^exp, mant in [0.5, 1)
        var t = mant.Times(Math.ScaleB(1.0, m + 1));         // in [2^m, 2^(m+1)), exact
        Tensor r;
        if (u is null)
        {
            r = t.round();
        }
        else
        {
            var ft = t.floor();
            r = ft.Plus(((t - ft) >= u.SubtractedFrom(1)).to(ScalarType.Float32));
        }
        var mag = (r * Pow2(exp.Minus((long)m + 1), x)).AtMost(f.MaxValue);
        mag = where(a.LessThan(f.MinNormal), Scalar(x, 0f), mag);
        mag = where(a.isinf(), Scalar(x, (float)f.MaxValue), mag);
        var y = copysign(mag, x);
        return where(x.isnan(), Scalar(x, (float)f.MaxValue), y);
    }

    private static Tensor PowerOfTwo(Tensor x, PowerOfTwo f, Tensor? u)
    {
        var a = x.abs();
        var (mant, exp) = frexp(a);
        var m2 = mant.Times(2.0);                            // 1.f in [1, 2)
        var up = u is null ? m2.GreaterOrEqual(PowerOfTwoOp.SqrtTwoCeiling) : m2.Minus(1.0) >= u.SubtractedFrom(1);
        var e = exp.Minus(1L).Plus(up.to(ScalarType.Int32)).AtMost((long)f.MaxExponent);
        var big = Pow2(e, x);
        var t = a.Times(Math.ScaleB(1.0, -f.MinExponent));
        var upSmall = u is null ? t.GreaterThan(0.5) : t >= u.SubtractedFrom(1);
        var small = f.ZeroRepresentable
            ? where(upSmall, Scalar(x, (float)f.MinValue), Scalar(x, 0f))
            : Scalar(x, (float)f.MinValue).expand_as(a);
        var mag = where(a.LessThan(f.MinValue), small, big);
        mag = where(a.isinf(), Scalar(x, (float)f.MaxValue), mag);
        var y = copysign(mag, x);
        return where(x.isnan(), Scalar(x, f.ZeroRepresentable ? 0f : (float)f.MinValue), y);
    }

    private static Tensor Binary(Tensor x, BinaryFormat f, Tensor? u)
    {
        var alpha = Channels(x, f, f.Alphas);
        Tensor minus;
        if (u is null)
        {
            minus = x.LessThan(0);
        }
        else
        {
            var t = x.div(alpha).ClampTo(-1L, 1L).Plus(1.0).Times(0.5);
            minus = (t < u.SubtractedFrom(1)).logical_and(x.isnan().logical_not());
        }
        return where(minus, alpha.neg(), alpha);
    }

    private static Tensor Ternary(Tensor x, TernaryFormat f, Tensor? u)
    {
        var alpha = Channels(x, f, f.Alphas);
        var a = x.abs();
        var nonzero = u is null ? a.gt(Channels(x, f, f.Thresholds)) : a.div(alpha).AtMost(1L) >= u.SubtractedFrom(1);
        nonzero = nonzero.logical_and(x.isnan().logical_not());
        return where(nonzero, copysign(alpha.expand_as(x), x), Scalar(x, 0f));
    }

    /// <summary>
    /// <c>2^e</c> for an integer tensor, exactly: a lookup in the table of float32 powers of two (2^-149 … 2^127),
    /// since <c>pow</c> and <c>ldexp</c> may go through an approximate vectorised <c>pow</c>.
    /// </summary>
    private static Tensor Pow2(Tensor e, Tensor like)
    {
        var table = tensor(Enumerable.Range(-149, 277).Select(k => (float)Math.ScaleB(1.0, k)).ToArray(), ScalarType.Float32, like.device);
        var index = e.to(ScalarType.Int64).ClampTo(-149L, 127L).Plus(149L).reshape(-1);
        return table.index_select(0, index).reshape(e.shape);
    }

    private static Tensor Scalar(Tensor like, float value) => tensor(value, ScalarType.Float32, like.device);

    /// <summary>Per-channel values shaped to broadcast along the format's axis (a 0-d tensor when per-tensor).</summary>
    private static Tensor Channels(Tensor x, NumberFormat f, IEnumerable<float> values)
    {
        var data = values.ToArray();
        if (f.ChannelAxis is not { } axis)
            return Scalar(x, data[0]);
        var shape = Enumerable.Repeat(1L, (int)x.dim() - axis).ToArray();
        shape[0] = data.Length;
        return tensor(data, ScalarType.Float32, x.device).reshape(shape);
    }
}
