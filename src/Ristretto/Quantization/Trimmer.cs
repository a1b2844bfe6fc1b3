using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Quantization.Chain;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// Trims tensors to a <see cref="NumberFormat"/>: the tensor counterpart of <see cref="NumberFormat.Quantize"/>,
/// bit for bit. On CPU a contiguous float32 tensor goes through one fused, vectorised, multithreaded pass, and so does a
/// channels-last one (in memory order where that gives the same bits, else through an NCHW copy); any other tensor
/// (CUDA, strided) through a chain of torch ops that gives the same bits. Stochastic rounding draws
/// element <c>i</c>'s <c>u</c> from <see cref="StochasticStream"/> with <c>(seed, i)</c>, <c>i</c> the row-major index,
/// so a seed reproduces the same bits on every device. These functions do not record gradients; use
/// <see cref="StraightThrough"/> for training.
/// </summary>
public static class Trimmer
{
    /// <summary>Returns a new tensor: <paramref name="x"/> trimmed to <paramref name="format"/>.</summary>
    /// <param name="format">The number format.</param>
    /// <param name="x">A floating-point tensor (computed in float32; other float types are converted and back).</param>
    /// <param name="rounding">Nearest (half to even) or stochastic.</param>
    /// <param name="seed">Seed of the stochastic stream (use a new one per step when training).</param>
    public static Tensor Trim(this NumberFormat format, Tensor x, Rounding rounding = Rounding.Nearest, ulong seed = 0)
        => Trim(format, x, rounding, seed, TrimPath.Auto);

    /// <summary>Trims <paramref name="x"/> in place and returns it (not for tensors that record gradients).</summary>
    public static Tensor Trim_(this NumberFormat format, Tensor x, Rounding rounding = Rounding.Nearest, ulong seed = 0)
        => TrimInPlace(format, x, rounding, seed, TrimPath.Auto);

    /// <summary>
    /// True where <paramref name="x"/> lies inside <see cref="NumberFormat.ClipRange"/> (the format does not
    /// saturate it): where a straight-through estimator lets the gradient pass. False for NaN.
    /// </summary>
    public static Tensor ClipMask(this NumberFormat format, Tensor x)
    {
        CheckShape(format, x);
        using var scope = NewDisposeScope();
        if (format.ChannelAxis is not { } axis)
        {
            var (lo, hi) = format.ClipRange();
            return x.GreaterOrEqual(lo).logical_and(x.LessOrEqual(hi)).MoveToOuterDisposeScope();
        }
        var range = Enumerable.Range(0, format.ChannelCount).Select(c => format.ClipRange(c)).ToArray();
        var shape = Enumerable.Repeat(1L, (int)x.dim() - axis).ToArray();
        shape[0] = range.Length;
        var min = tensor(range.Select(r => (float)r.Min).ToArray(), x.dtype, x.device).reshape(shape);
        var max = tensor(range.Select(r => (float)r.Max).ToArray(), x.dtype, x.device).reshape(shape);
        return (x >= min).logical_and(x <= max).MoveToOuterDisposeScope();
    }

    internal static Tensor Trim(NumberFormat format, Tensor x, Rounding rounding, ulong seed, TrimPath path)
    {
        CheckShape(format, x);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (x.dtype != ScalarType.Float32)
        {
            Guard(x.is_floating_point(), $"can only trim floating-point tensors, got {x.dtype}");
            return Trim(format, x.to(ScalarType.Float32), rounding, seed, path).to(x.dtype).MoveToOuterDisposeScope();
        }
        if (UseFused(x, path))
        {
            var y = empty_like(x);
            RunFused(format, x, y, rounding, seed);
            return y.MoveToOuterDisposeScope();
        }
        if (path != TrimPath.Chain && ChannelsLastView(x) is { } nhwc)
        {
            if (LayoutFree(format, rounding))
            {
                var y = empty_like(x); // keeps the channels-last strides
                RunFused(format, nhwc, y.permute(0, 2, 3, 1), rounding, seed);
                return y.MoveToOuterDisposeScope();
            }
            return Trim(format, x.contiguous(), rounding, seed, path).MoveToOuterDisposeScope();
        }
        return ChainTrim.Trim(format, x, rounding, seed).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The contiguous NHWC view of a channels-last float32 CPU tensor (what oneDNN's channels-last evaluation
    /// convolutions leave, Layers/OneDnnConvolution), null for any other tensor.
    /// </summary>
    private static Tensor? ChannelsLastView(Tensor x) =>
        x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32 && x.numel() <= int.MaxValue / sizeof(float)
            ? ChannelsLast.View(x) : null;

    /// <summary>
    /// Whether trimming the elements in memory order gives the same bits as in row-major order: one format for every
    /// element and no stochastic draws (those follow the row-major index).
    /// </summary>
    private static bool LayoutFree(NumberFormat format, Rounding rounding) => format.ChannelAxis is null && rounding == Rounding.Nearest;

    internal static Tensor TrimInPlace(NumberFormat format, Tensor x, Rounding rounding, ulong seed, TrimPath path)
    {
        CheckShape(format, x);
        if (x.requires_grad && is_grad_enabled())
            throw new InvalidOperationException("in-place trim of a tensor that records gradients; use no_grad() or StraightThrough");
        if (x.dtype == ScalarType.Float32 && UseFused(x, path))
        {
            RunFused(format, x, x, rounding, seed);
            return x;
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (path != TrimPath.Chain && LayoutFree(format, rounding) && ChannelsLastView(x) is { } nhwc)
        {
            RunFused(format, nhwc, nhwc, rounding, seed);
            return x;
        }
        x.copy_(Trim(format, x, rounding, seed, path));
        return x;
    }

    private static bool UseFused(Tensor x, TrimPath path)
    {
        bool can = x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32 && x.is_contiguous()
                   && x.numel() <= int.MaxValue / sizeof(float);
        if (path == TrimPath.Fused && !can)
            throw new InvalidOperationException("the fused kernel needs a contiguous float32 CPU tensor");
        return path != TrimPath.Chain && can;
    }

    private static unsafe void RunFused(NumberFormat format, Tensor x, Tensor y, Rounding rounding, ulong seed)
    {
        long n = x.numel();
        if (n == 0)
            return;
        long inner = n;
        if (format.ChannelAxis is { } axis)
            inner = x.shape.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        fixed (byte* ps = x.bytes)
        fixed (byte* pd = y.bytes)
            format.Trim((float*)ps, (float*)pd, n, inner, rounding, seed);
    }

    private static void CheckShape(NumberFormat format, Tensor x)
    {
        if (format.ChannelAxis is not { } axis)
            return;
        Guard(axis < x.dim(), $"{format} has channel axis {axis} but the tensor has {x.dim()} dimensions");
        Guard(x.shape[axis] == format.ChannelCount,
            $"{format} has {format.ChannelCount} channels but the tensor has {x.shape[axis]} along axis {axis}");
    }

    private static void Guard(bool ok, string message)
    {
        if (!ok)
            throw new RistrettoException(message);
    }
}
