using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Max or average pooling. With <see cref="CeilMode"/> the output size rounds up as Caffe's does (a last
/// window that starts in the padding is dropped); average pooling divides by the window clipped to the
/// padded input, as Caffe does. <see cref="Global"/> pools the whole plane.
/// </summary>
public sealed class PoolingLayer : Layer
{
    /// <summary>Pooling method.</summary>
    public enum Method
    {
        /// <summary>Maximum of the window.</summary>
        Max,
        /// <summary>Mean of the window.</summary>
        Average,
    }

    /// <summary>Creates a pooling layer.</summary>
    public PoolingLayer(string name, Method method, (long H, long W) kernel, (long H, long W) stride, (long H, long W) pad,
        bool ceilMode = true, bool global = false, bool countIncludePad = true) : base(name)
    {
        if (!global && (kernel.H < 1 || kernel.W < 1 || stride.H < 1 || stride.W < 1))
            throw new RistrettoException($"layer '{name}': pooling kernel and stride must be ≥ 1");
        if (!global && (pad.H >= kernel.H || pad.W >= kernel.W))
            throw new RistrettoException($"layer '{name}': padding {pad.H} must be smaller than the kernel {kernel.H}");
        PoolMethod = method;
        Kernel = kernel;
        Stride = stride;
        Pad = pad;
        CeilMode = ceilMode;
        Global = global;
        CountIncludePad = countIncludePad;
    }

    /// <inheritdoc />
    public override string Type => "Pooling";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new PoolingLayer(LayerName, PoolMethod, Kernel, Stride, Pad, CeilMode, Global, CountIncludePad);

    /// <summary>Max or average.</summary>
    public Method PoolMethod { get; }
    /// <summary>Window (height, width).</summary>
    public (long H, long W) Kernel { get; }
    /// <summary>Stride (height, width).</summary>
    public (long H, long W) Stride { get; }
    /// <summary>Padding (height, width).</summary>
    public (long H, long W) Pad { get; }
    /// <summary>Round the output size up (Caffe) rather than down.</summary>
    public bool CeilMode { get; }
    /// <summary>Pool the whole plane to 1×1.</summary>
    public bool Global { get; }
    /// <summary>Average pooling counts padded positions in the divisor (Caffe: yes).</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        RequireRank(x, 4);
        if (Global)
            return [[x[0], x[1], 1, 1]];
        return [[x[0], x[1], OutSize(x[2], Kernel.H, Stride.H, Pad.H), OutSize(x[3], Kernel.W, Stride.W, Pad.W)]];
    }

    /// <inheritdoc />
    public override string Describe() => Global ? $"global {PoolMethod}" : $"{PoolMethod} {Kernel.H}×{Kernel.W}, stride {Stride.H}, pad {Pad.H}";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        var x = inputs[0];
        if (Global)
            return [PoolMethod == Method.Max ? x.amax([2, 3], keepdim: true) : x.mean([2, 3], keepdim: true)];
        return PoolMethod == Method.Max
            ? [nn.functional.max_pool2d(x, [Kernel.H, Kernel.W], [Stride.H, Stride.W], [Pad.H, Pad.W], ceil_mode: CeilMode)]
            : [nn.functional.avg_pool2d(x, [Kernel.H, Kernel.W], [Stride.H, Stride.W], [Pad.H, Pad.W], ceil_mode: CeilMode, count_include_pad: CountIncludePad)];
    }

    private long OutSize(long size, long kernel, long stride, long pad)
    {
        long span = size + 2 * pad - kernel;
        if (span < 0)
            throw new RistrettoException($"input size {size} (padding {pad}) is smaller than the {kernel}-wide window");
        long n = (CeilMode ? (span + stride - 1) / stride : span / stride) + 1;
        if (CeilMode && pad > 0 && (n - 1) * stride >= size + pad)
            n--; // the last window would start inside the padding
        return n;
    }
}
