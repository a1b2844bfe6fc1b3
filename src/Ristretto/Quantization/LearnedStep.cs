using Ristretto.Engine;
using Ristretto.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// Learned step size quantization: LSQ (Esser et al., 2020) and LSQ+ (Bhalgat et al., 2020), as functions of
/// explicit tensors (the layer owns the learned <c>scale</c> and <c>offset</c> parameters).
/// </summary>
/// <remarks>
/// LSQ: <c>y = round(clamp(x / s, qmin, qmax)) · s</c>; its forward value is exactly the
/// <see cref="IntegerFormat"/> with that scale (the fused kernel computes it). Gradients:
/// <c>dy/dx = 1</c> inside the range, 0 outside; <c>dy/ds = g · (round(x/s) - x/s)</c> inside, <c>g · qmin</c>
/// below, <c>g · qmax</c> above, with <c>g = 1/sqrt(N · qmax)</c> (<see cref="GradScale"/>).
/// LSQ+: <c>y = round(clamp((x - β) / s, qmin, qmax)) · s + β</c>; additionally <c>dy/dβ = 0</c> inside and
/// <c>g</c> outside. Both use the zero-valued correction of <see cref="StraightThrough"/>, so the forward value is
/// untouched by the gradient terms.
/// </remarks>
public static class LearnedStep
{
    /// <summary>The LSQ gradient scale <c>1/sqrt(N · qmax)</c>, <c>N</c> the elements per scale.</summary>
    public static double GradScale(long elementsPerScale, long qmax)
        => 1.0 / Math.Sqrt(Math.Max(1, elementsPerScale) * (double)Math.Max(1, qmax));

    /// <summary>LSQ's initial step <c>2 · mean|x| / sqrt(qmax)</c>.</summary>
    public static double InitialScale(Tensor x, long qmax)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double mean = x.abs().mean().to(ScalarType.Float64).item<double>();
        return Math.Max(2 * mean / Math.Sqrt(Math.Max(1, qmax)), 1e-12);
    }

    /// <summary>LSQ: quantizes <paramref name="x"/> with the learned step <paramref name="scale"/>.</summary>
    /// <param name="x">Input.</param>
    /// <param name="scale">Learned step: one element, or one per channel shaped to broadcast along <paramref name="channelAxis"/>.</param>
    /// <param name="qmin">Smallest code (e.g. -2^(b-1)).</param>
    /// <param name="qmax">Largest code (e.g. 2^(b-1) - 1).</param>
    /// <param name="gradScale">Multiplier of the step's gradient, usually <see cref="GradScale"/>.</param>
    /// <param name="channelAxis">Axis of a per-channel scale.</param>
    /// <param name="rounding">Rounding of the forward value.</param>
    /// <param name="seed">Stochastic stream seed.</param>
    public static Tensor Quantize(Tensor x, Tensor scale, long qmin, long qmax, double gradScale,
        int? channelAxis = null, Rounding rounding = Rounding.Nearest, ulong seed = 0)
    {
        using var scope = NewDisposeScope();
        var s = PositiveScale(scale);
        var steps = s.detach().to(ScalarType.Float32).cpu().data<float>().ToArray();
        int bits = BitsFor(qmin, qmax);
        var format = new IntegerFormat(bits, qmin < 0, steps, null, steps.Length > 1 ? channelAxis ?? throw new RistrettoException("a per-channel LSQ scale needs a channel axis") : null,
            narrowRange: qmin < 0 && qmin == -qmax);
        Check(format.QMin == qmin && format.QMax == qmax, $"codes [{qmin}, {qmax}] are not a signed or unsigned integer range");
        var q = format.Trim(x, rounding, seed);
        if (!is_grad_enabled() || !(x.requires_grad || s.requires_grad))
            return q.MoveToOuterDisposeScope();
        Tensor coefficient, inside;
        using (no_grad())
        {
            var v = x / s;
            var below = v.LessOrEqual(qmin);
            var above = v.GreaterOrEqual(qmax);
            inside = below.logical_or(above).logical_or(v.isnan()).logical_not();
            coefficient = where(below, tensor((float)qmin), where(above, tensor((float)qmax), v.round() - v));
            coefficient = where(v.isnan(), zeros_like(v), coefficient).Times((float)gradScale);
        }
        var carrier = where(inside, x, zeros_like(x)).Plus(s * coefficient);
        return StraightThrough.AddZeroWithGradient(q, carrier).MoveToOuterDisposeScope();
    }

    /// <summary>LSQ+: quantizes with learned step <paramref name="scale"/> and learned offset <paramref name="offset"/> (β).</summary>
    /// <remarks>
    /// Computed as torch ops in float32: <c>v = (x - β) / s</c>, <c>q = clamp(round(v))</c> (NaN → 0), <c>y = q · s + β</c>;
    /// stochastic rounding takes <c>floor(v + u)</c> with <c>u</c> from the stream of <paramref name="seed"/>.
    /// </remarks>
    public static Tensor QuantizeWithOffset(Tensor x, Tensor scale, Tensor offset, long qmin, long qmax, double gradScale,
        Rounding rounding = Rounding.Nearest, ulong seed = 0)
    {
        Check(qmin < qmax, $"qmin must be < qmax, got [{qmin}, {qmax}]");
        using var scope = NewDisposeScope();
        var s = PositiveScale(scale);
        Tensor q, coefficientS, coefficientB, inside;
        using (no_grad())
        {
            var v = (x - offset) / s;
            var rounded = rounding == Rounding.Stochastic
                ? v.Plus(Chain.StochasticTensor.Uniform(v.shape, seed, v.device)).floor()
                : v.round();
            var nan = v.isnan();
            var below = v.LessOrEqual(qmin);
            var above = v.GreaterOrEqual(qmax);
            q = where(nan, zeros_like(v), rounded.ClampTo(qmin, qmax));
            inside = below.logical_or(above).logical_or(nan).logical_not();
            coefficientS = where(below, tensor((float)qmin), where(above, tensor((float)qmax), rounded - v));
            coefficientS = where(nan, zeros_like(v), coefficientS).Times((float)gradScale);
            coefficientB = where(inside.logical_or(nan), zeros_like(v), ones_like(v)).Times((float)gradScale);
        }
        var value = (q * s).Plus(offset).detach();
        if (!is_grad_enabled())
            return value.MoveToOuterDisposeScope();
        var carrier = where(inside, x, zeros_like(x)).Plus(s * coefficientS).Plus(offset * coefficientB);
        return StraightThrough.AddZeroWithGradient(value, carrier).MoveToOuterDisposeScope();
    }

    private static Tensor PositiveScale(Tensor scale)
    {
        // The forward format needs a positive normal step; a step driven to zero or below is held at the smallest one.
        using var noGrad = no_grad();
        bool ok = scale.GreaterOrEqual(1.17549435e-38f).all().item<bool>();
        return ok ? scale : scale.AtLeast(1.17549435e-38f);
    }

    private static int BitsFor(long qmin, long qmax)
    {
        long span = qmin < 0 ? Math.Max(-qmin, qmax + 1) : qmax + 1;
        int bits = 0;
        while ((1L << bits) < span)
            bits++;
        return Math.Max(1, qmin < 0 ? bits + 1 : bits);
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
            throw new RistrettoException(message);
    }
}
