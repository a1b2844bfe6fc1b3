using Ristretto.Formats;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// Straight-through estimators: the forward value is the trimmed tensor, bit for bit as
/// <see cref="Trimmer.Trim(NumberFormat, Tensor, Rounding, ulong)"/> gives it; the backward pass treats trimming as the identity where the format
/// does not saturate (<see cref="Trimmer.ClipMask"/>) and as a constant (zero gradient) where it does.
/// </summary>
/// <remarks>
/// Built from ordinary ops rather than a custom autograd function: <c>y = q - (p.detach() - p)</c> with
/// <c>q</c> the trimmed value (no graph) and <c>p = where(mask, x, 0)</c>. The bracket is exactly +0 for every
/// finite <c>p</c>, so <c>y</c> equals <c>q</c> bit for bit (signed zeros included) and <c>dy/dx = mask</c>.
/// </remarks>
public static class StraightThrough
{
    /// <summary>Trims <paramref name="x"/> with a straight-through gradient (clipped at saturation).</summary>
    public static Tensor Trim(NumberFormat format, Tensor x, Rounding rounding = Rounding.Nearest, ulong seed = 0)
    {
        using var scope = NewDisposeScope();
        var q = format.Trim(x, rounding, seed);
        if (!x.requires_grad || !is_grad_enabled())
            return q.MoveToOuterDisposeScope();
        var pass = where(format.ClipMask(x), x, zeros_like(x));
        return AddZeroWithGradient(q, pass).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <c>value - (g.detach() - g)</c>: <paramref name="value"/>'s bits with <paramref name="gradientCarrier"/>'s
    /// gradient (which must be finite).
    /// </summary>
    internal static Tensor AddZeroWithGradient(Tensor value, Tensor gradientCarrier)
        => value - (gradientCarrier.detach() - gradientCarrier);
}
