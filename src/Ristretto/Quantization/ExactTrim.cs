using Ristretto.Engine;
using Ristretto.Formats;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// Trimming in float64 for the exact simulation (<c>test --exact</c>) and the integer engine, which must agree: on an
/// integer grid, <c>q = clamp(round_half_even(x / s) + z)</c> with <c>x / s</c> one correctly rounded float64 division, and
/// the value <c>(q − z)·s</c> held exactly (a code below 2^29 times a float32 scale fits float64's 53 bits).
/// </summary>
public static class ExactTrim
{
    /// <summary>Codes of <paramref name="x"/> (float64) on <paramref name="grid"/>, as float64 integers; a per-channel grid broadcasts along its axis.</summary>
    public static Tensor Codes(Tensor x, AffineGrid grid)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(grid);
        using var scope = NewDisposeScope();
        var x64 = x.to(ScalarType.Float64);
        Tensor q;
        if (grid.Axis is null)
        {
            q = x64.Over(grid.Scales[0]).round().Plus((double)grid.ZeroPoints[0]);
        }
        else
        {
            var (scales, zeros) = Channels(grid, x64);
            q = x64.div(scales).round().Plus(zeros);
        }
        return q.ClampTo(grid.QMin, grid.QMax).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <paramref name="x"/> trimmed to <paramref name="format"/> as exact float64 values. Integer grids (dynamic fixed point,
    /// integer formats) with nearest rounding are computed in float64 as above; any other format or rounding is trimmed
    /// by its float32 kernel (whose values float64 holds exactly, after the input's rounding to float32).
    /// </summary>
    public static Tensor Trim(NumberFormat format, Tensor x, Rounding rounding = Rounding.Nearest)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(x);
        using var scope = NewDisposeScope();
        Tensor y;
        if (format.Affine is { } grid && rounding == Rounding.Nearest)
            y = Values(Codes(x, grid), grid, subtractZero: true);
        else
            y = format.Trim(x.to(ScalarType.Float32), rounding).to(ScalarType.Float64);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The exact float64 values of <paramref name="trimmed"/>, a float32 tensor already trimmed to <paramref name="format"/>:
    /// on an integer grid the code is recovered (<c>round(t / s)</c>, exact since t is within 2^−24 of (q − z)·s) and
    /// multiplied by s in float64; other formats' float32 values are exact as they are.
    /// </summary>
    public static Tensor Values(NumberFormat format, Tensor trimmed)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(trimmed);
        using var scope = NewDisposeScope();
        var t = trimmed.detach().to(ScalarType.Float64);
        if (format.IntegerGrid is not { } grid)
            return t.MoveToOuterDisposeScope();
        var offsets = Steps(grid, t, out var scales);
        return Values(offsets, grid, subtractZero: false, scales).MoveToOuterDisposeScope();
    }

    /// <summary><c>round(t / s)</c>: the offsets q − z of exactly trimmed values (scales per channel where the grid has an axis).</summary>
    private static Tensor Steps(AffineGrid grid, Tensor t, out Tensor? scales)
    {
        scales = null;
        if (grid.Axis is null)
            return t.Over(grid.Scales[0]).round();
        (scales, _) = Channels(grid, t);
        return t.div(scales).round();
    }

    private static Tensor Values(Tensor codes, AffineGrid grid, bool subtractZero, Tensor? scales = null)
    {
        if (grid.Axis is null)
            return (subtractZero ? codes.Minus((double)grid.ZeroPoints[0]) : codes).Times(grid.Scales[0]);
        var (s, z) = scales is null ? Channels(grid, codes) : (scales, null);
        return (subtractZero ? codes.sub(z!) : codes).mul(s);
    }

    private static (Tensor Scales, Tensor Zeros) Channels(AffineGrid grid, Tensor like)
    {
        int axis = grid.Axis!.Value;
        long[] shape = Enumerable.Repeat(1L, (int)like.dim()).ToArray();
        shape[axis] = -1;
        var scales = tensor(grid.Scales.ToArray(), ScalarType.Float64, like.device).reshape(shape);
        var zeros = tensor(grid.ZeroPoints.Select(z => (double)z).ToArray(), ScalarType.Float64, like.device).reshape(shape);
        return (scales, zeros);
    }
}
