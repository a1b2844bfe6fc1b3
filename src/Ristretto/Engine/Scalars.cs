using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Engine;

/// <summary>
/// Tensor arithmetic with plain numbers, written so that every <see cref="Scalar"/> stays alive until libtorch
/// has read it.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 frees a <see cref="Scalar"/> in its finalizer and does not keep it alive across the native call
/// it is passed to. A scalar made on the fly (<c>x.mul(0.5)</c>, <c>x * 0.5</c>, or the alpha of 1 that
/// <c>Tensor.add(Tensor)</c> makes inside TorchSharp) is garbage as soon as its handle has been read, so a
/// collection started by another thread can free it while libtorch still reads it: a spurious
/// "Expected false to be true" from <c>c10::Scalar::toFloat</c>, or silently a wrong number. These helpers hold
/// the scalar in a <c>using</c> local (or a static field) for the length of the call. A test reads the IL of our
/// assemblies and fails on any call that passes TorchSharp an unheld scalar.
/// </remarks>
public static class Scalars
{
    private static Scalar? one;

    /// <summary>The alpha of 1 for <c>add(other, alpha)</c>; never freed.</summary>
    public static Scalar One
    {
        get
        {
            if (one is null)
            {
                var made = 1.ToScalar();
                if (Interlocked.CompareExchange(ref one, made, null) is not null)
                    made.Dispose();
            }
            return one!;
        }
    }

    /// <summary><paramref name="a"/> + <paramref name="b"/>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><paramref name="a"/> + <paramref name="b"/>, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><paramref name="a"/> + <paramref name="b"/>.</summary>
    public static Tensor Plus(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.add(s, One);
    }

    /// <summary><paramref name="a"/> + <paramref name="b"/> (integer tensors stay integer).</summary>
    public static Tensor Plus(this Tensor a, long b)
    {
        using var s = b.ToScalar();
        return a.add(s, One);
    }

    /// <summary><paramref name="a"/> + <paramref name="b"/>, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.add_(s, One);
    }

    /// <summary><paramref name="a"/> − <paramref name="b"/>.</summary>
    public static Tensor Minus(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.sub(s);
    }

    /// <summary><paramref name="a"/> − <paramref name="b"/> (integer tensors stay integer).</summary>
    public static Tensor Minus(this Tensor a, long b)
    {
        using var s = b.ToScalar();
        return a.sub(s);
    }

    /// <summary><paramref name="b"/> − <paramref name="a"/>.</summary>
    public static Tensor SubtractedFrom(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        using var negated = a.neg();
        return negated.add(s, One);
    }

    /// <summary><paramref name="a"/> × <paramref name="b"/>.</summary>
    public static Tensor Times(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.mul(s);
    }

    /// <summary><paramref name="a"/> × <paramref name="b"/> (integer tensors stay integer).</summary>
    public static Tensor Times(this Tensor a, long b)
    {
        using var s = b.ToScalar();
        return a.mul(s);
    }

    /// <summary><paramref name="a"/> × <paramref name="b"/>, in place.</summary>
    public static Tensor TimesInPlace(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.mul_(s);
    }

    /// <summary><paramref name="a"/> ÷ <paramref name="b"/>.</summary>
    public static Tensor Over(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.div(s);
    }

    /// <summary><paramref name="a"/> raised to <paramref name="exponent"/>.</summary>
    public static Tensor ToPower(this Tensor a, double exponent)
    {
        using var s = exponent.ToScalar();
        return a.pow(s);
    }

    /// <summary><paramref name="a"/> clamped to [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Tensor ClampTo(this Tensor a, double min, double max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    /// <summary><paramref name="a"/> clamped to [<paramref name="min"/>, <paramref name="max"/>] (integer tensors stay integer).</summary>
    public static Tensor ClampTo(this Tensor a, long min, long max)
    {
        using var lo = min.ToScalar();
        using var hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    /// <summary><paramref name="a"/> clamped below at <paramref name="min"/>.</summary>
    public static Tensor AtLeast(this Tensor a, double min)
    {
        using var lo = min.ToScalar();
        return a.clamp_min(lo);
    }

    /// <summary><paramref name="a"/> clamped above at <paramref name="max"/>.</summary>
    public static Tensor AtMost(this Tensor a, double max)
    {
        using var hi = max.ToScalar();
        return a.clamp_max(hi);
    }

    /// <summary><paramref name="a"/> clamped above at <paramref name="max"/> (integer tensors stay integer).</summary>
    public static Tensor AtMost(this Tensor a, long max)
    {
        using var hi = max.ToScalar();
        return a.clamp_max(hi);
    }

    /// <summary>Elementwise <paramref name="a"/> &lt; <paramref name="b"/>.</summary>
    public static Tensor LessThan(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.lt(s);
    }

    /// <summary>Elementwise <paramref name="a"/> &gt; <paramref name="b"/>.</summary>
    public static Tensor GreaterThan(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.gt(s);
    }

    /// <summary>Elementwise <paramref name="a"/> ≥ <paramref name="b"/>.</summary>
    public static Tensor GreaterOrEqual(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.ge(s);
    }

    /// <summary>Elementwise <paramref name="a"/> ≤ <paramref name="b"/>.</summary>
    public static Tensor LessOrEqual(this Tensor a, double b)
    {
        using var s = b.ToScalar();
        return a.le(s);
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static Tensor Full(long[] shape, double value, ScalarType dtype, Device? device = null)
    {
        using var s = value.ToScalar();
        return torch.full(shape, s, dtype, device);
    }

    /// <summary>0, 1, …, <paramref name="count"/> − 1.</summary>
    public static Tensor Range(long count, ScalarType dtype, Device? device = null)
    {
        using var start = 0L.ToScalar();
        using var stop = count.ToScalar();
        using var step = 1L.ToScalar();
        return torch.arange(start, stop, step, dtype, device);
    }
}
