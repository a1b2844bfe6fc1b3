using Ristretto.Engine;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// Binary and ternary weights with a trained scale α (in the manner of TTQ, Zhu et al. 2017, with one α for both signs),
/// as functions of explicit tensors (the fine-tuning layer owns α). The codes come from the shadow weights: binary
/// <c>sign(w)</c> (+1 at 0), ternary <c>sign(w)</c> where <c>|w| &gt; Δ</c> and 0 elsewhere, with TWN's
/// <c>Δ = 0.7 · mean |w|</c> recomputed over each channel (or the tensor) as the weights move. The forward value
/// <c>α · code</c> is exactly what <c>BinaryFormat</c>/<c>TernaryFormat</c> with that α and Δ give (nearest).
/// Gradients: <c>dL/dα = Σ dL/dy · code / sqrt(N)</c> (N weights per α, LSQ's gradient scale); <c>dL/dw = α · dL/dy</c> where the code is ±1 and <c>dL/dy</c> where it
/// is 0 (TTQ's scaled straight-through rule).
/// </summary>
public static class LearnedTwoLevel
{
    /// <summary>TWN's threshold <c>0.7 · mean |w|</c> of each output channel (axis 0) of <paramref name="w"/>, shaped to broadcast, or of the whole tensor.</summary>
    public static Tensor Thresholds(Tensor w, bool perChannel)
    {
        ArgumentNullException.ThrowIfNull(w);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = w.detach().abs();
        var mean = perChannel ? a.reshape(w.shape[0], -1).mean([1]).reshape(ChannelShape(w)) : a.mean();
        return mean.Times(0.7).MoveToOuterDisposeScope();
    }

    /// <summary>The codes of <paramref name="w"/> (−1, 0, +1; binary: ±1) for the thresholds of <see cref="Thresholds"/>.</summary>
    public static Tensor Codes(Tensor w, Tensor? thresholds)
    {
        ArgumentNullException.ThrowIfNull(w);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = w.detach();
        var one = ones_like(x);
        var sign = where(x.LessThan(0.0), one.neg(), one);
        var codes = thresholds is null ? sign : where(x.abs().gt(thresholds), sign, zeros_like(x));
        return codes.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>α · code</c> with TTQ's gradients into <paramref name="alpha"/> (shaped to broadcast over <paramref name="w"/>) and
    /// <paramref name="w"/>; <paramref name="ternary"/> picks the codes' rule.
    /// </summary>
    public static Tensor Quantize(Tensor w, Tensor alpha, bool ternary, bool perChannel)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(alpha);
        using var scope = NewDisposeScope();
        using var thresholds = ternary ? Thresholds(w, perChannel) : null;
        var codes = Codes(w, thresholds);
        // LSQ's gradient scale 1/sqrt(N), N the weights per α: Σ dL/dy·code over a 400,000-weight layer otherwise moves α
        // far past its size in one step. The value is α's exactly ((α − α.detach())·g is +0).
        long perAlpha = Math.Max(1, w.numel() / Math.Max(1, alpha.numel()));
        var scaled = alpha.detach().Plus(alpha.sub(alpha.detach()).Times(1.0 / Math.Sqrt(perAlpha)));
        var y = scaled.mul(codes);
        if (w.requires_grad && is_grad_enabled())
        {
            // (w − w.detach()) is exactly +0: the value stays α·code, the gradient into w is the factor's.
            var factor = where(codes.abs().GreaterThan(0.5), alpha.detach().expand_as(w), ones_like(w));
            y = y.Plus(w.sub(w.detach()).mul(factor));
        }
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The shape <c>[C, 1, …]</c> that broadcasts one value per output channel over <paramref name="w"/>.</summary>
    public static long[] ChannelShape(Tensor w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var shape = Enumerable.Repeat(1L, (int)w.dim()).ToArray();
        shape[0] = w.shape[0];
        return shape;
    }
}
