using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Max or average pooling. With <see cref="CeilMode"/> the output size rounds up as Caffe's does (a last
/// window that starts in the padding is dropped); average pooling divides by the window clipped to the
/// padded input, as Caffe does. <see cref="Global"/> pools the whole plane. Max pooling may read a dilated window
/// (ONNX's dilations; Caffe has none).
/// </summary>
[CaffeLayer("Pooling")]
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
        bool ceilMode = true, bool global = false, bool countIncludePad = true, (long H, long W)? dilation = null) : base(name)
    {
        if (!global && (kernel.H < 1 || kernel.W < 1 || stride.H < 1 || stride.W < 1))
            throw new RistrettoException($"layer '{name}': pooling kernel and stride must be ≥ 1");
        var d = dilation ?? (1, 1);
        if (d.H < 1 || d.W < 1)
            throw new RistrettoException($"layer '{name}': pooling dilation must be ≥ 1");
        if (d != (1, 1) && (method != Method.Max || global))
            throw new RistrettoException($"layer '{name}': only max pooling reads a dilated window");
        if (!global && (pad.H >= kernel.H || pad.W >= kernel.W))
            throw new RistrettoException($"layer '{name}': padding {pad.H} must be smaller than the kernel {kernel.H}");
        PoolMethod = method;
        Kernel = kernel;
        Stride = stride;
        Pad = pad;
        CeilMode = ceilMode;
        Global = global;
        CountIncludePad = countIncludePad;
        Dilation = d;
    }

    /// <inheritdoc />
    public override string Type => "Pooling";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new PoolingLayer(LayerName, PoolMethod, Kernel, Stride, Pad, CeilMode, Global, CountIncludePad, Dilation);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        bool max = PoolMethod == Method.Max;
        if (Global)
        {
            onnx.Node(max ? "GlobalMaxPool" : "GlobalAveragePool", LayerName, [x[0]], y);
            return;
        }
        var attributes = new List<(string, object)>
        {
            ("kernel_shape", new[] { Kernel.H, Kernel.W }), ("strides", new[] { Stride.H, Stride.W }),
            ("pads", new[] { Pad.H, Pad.W, Pad.H, Pad.W }), ("ceil_mode", CeilMode ? 1L : 0L),
        };
        if (Dilation != (1, 1))
            attributes.Add(("dilations", new[] { Dilation.H, Dilation.W }));
        // Without padding, counting it or not divides by the same clipped window.
        if (!max)
            attributes.Add(("count_include_pad", CountIncludePad && Pad != (0, 0) ? 1L : 0L));
        onnx.Node(max ? "MaxPool" : "AveragePool", LayerName, [x[0]], y, [.. attributes]);
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        if (Dilation != (1, 1))
            throw new RistrettoException($"layer '{LayerName}': Caffe pooling has no dilation");
        p.PoolingParam = new PoolingParameter
        {
            Pool = PoolMethod == Method.Max ? PoolingParameter.Types.PoolMethod.Max : PoolingParameter.Types.PoolMethod.Ave,
            GlobalPooling = Global,
        };
        if (!Global)
        {
            p.PoolingParam.KernelH = (uint)Kernel.H; p.PoolingParam.KernelW = (uint)Kernel.W;
            p.PoolingParam.StrideH = (uint)Stride.H; p.PoolingParam.StrideW = (uint)Stride.W;
            p.PoolingParam.PadH = (uint)Pad.H; p.PoolingParam.PadW = (uint)Pad.W;
        }
        if (!CeilMode)
            p.PoolingParam.RoundMode = PoolingParameter.Types.RoundMode.Floor;
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        var c = p.PoolingParam ?? throw new RistrettoException("has no pooling_param");
        var method = c.Pool switch
        {
            PoolingParameter.Types.PoolMethod.Max => PoolingLayer.Method.Max,
            PoolingParameter.Types.PoolMethod.Ave => PoolingLayer.Method.Average,
            var other => throw new RistrettoException($"pooling method {other} is not supported"),
        };
        var kernel = c.GlobalPooling ? (1, 1) : CaffeLayerInputs.Pair([], c.HasKernelH ? c.KernelH : c.HasKernelSize ? c.KernelSize : null, c.HasKernelW ? c.KernelW : c.HasKernelSize ? c.KernelSize : null, null, "kernel_size");
        var stride = (c.HasStrideH ? c.StrideH : c.Stride, c.HasStrideW ? c.StrideW : c.Stride);
        var pad = (c.HasPadH ? c.PadH : c.Pad, c.HasPadW ? c.PadW : c.Pad);
        bool ceil = c.RoundMode == PoolingParameter.Types.RoundMode.Ceil;
        return new PoolingLayer(p.Name, method, kernel, ((long)stride.Item1, (long)stride.Item2), ((long)pad.Item1, (long)pad.Item2), ceil, c.GlobalPooling);
    }

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
    /// <summary>Spacing of the window's taps (height, width); (1, 1) but for a dilated max pooling.</summary>
    public (long H, long W) Dilation { get; }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        RequireRank(x, 4);
        if (Global)
            return [[x[0], x[1], 1, 1]];
        return [[x[0], x[1], OutSize(x[2], (Kernel.H - 1) * Dilation.H + 1, Stride.H, Pad.H), OutSize(x[3], (Kernel.W - 1) * Dilation.W + 1, Stride.W, Pad.W)]];
    }

    /// <inheritdoc />
    public override string Describe() => Global ? $"global {PoolMethod}"
        : $"{PoolMethod} {Kernel.H}×{Kernel.W}, stride {Stride.H}, pad {Pad.H}" + (Dilation != (1, 1) ? $", dilation {Dilation.H}" : "");

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        var x = inputs[0];
        // A global average is the sum divided once by the plane's size (one correctly rounded division: libtorch's mean
        // multiplies by a rounded 1/n, which moves a sum of grid values that is exactly halfway between two codes).
        if (Global)
            return [PoolMethod == Method.Max ? x.amax([2, 3], keepdim: true) : x.sum([2, 3], keepdim: true).Over(x.shape[2] * x.shape[3])];
        if (PoolMethod == Method.Max)
            return [WindowMaxima(x) ?? nn.functional.max_pool2d(x, [Kernel.H, Kernel.W], [Stride.H, Stride.W], [Pad.H, Pad.W], [Dilation.H, Dilation.W], ceil_mode: CeilMode)];
        return [nn.functional.avg_pool2d(x, [Kernel.H, Kernel.W], [Stride.H, Stride.W], [Pad.H, Pad.W], ceil_mode: CeilMode, count_include_pad: CountIncludePad)];
    }

    /// <summary>
    /// Max pooling without gradients as running maxima of strided views: the maximum over the window's rows, then over its
    /// columns (padding reads −∞, as libtorch's kernel ignores it). The same values as <c>max_pool2d</c> (a maximum is
    /// exact and NaN wins in both), except that of a +0 and a −0 in one window either may be kept. libtorch 2.10's CPU
    /// max pooling (oneDNN off) is a scalar loop that also writes the index of every maximum: on this project's 2-core
    /// CPU LeNet's pool1 at batch 100 (100×20×24×24) took 21–40 ms against 0.6–2.5 ms for the views (load ≈ 33), and
    /// pooling was 28 % of a <c>quantize</c> run's CPU time (perf). Null where the kernel stays: gradients recorded (its
    /// gradient goes to the first maximum of a window; <c>maximum</c> would share ties), a rank other than 4, or a 1×1 window.
    /// </summary>
    private Tensor? WindowMaxima(Tensor x)
    {
        if (x.dim() != 4 || (x.requires_grad && is_grad_enabled()) || Kernel == (1, 1))
            return null;
        long rows = OutSize(x.shape[2], (Kernel.H - 1) * Dilation.H + 1, Stride.H, Pad.H);
        long columns = OutSize(x.shape[3], (Kernel.W - 1) * Dilation.W + 1, Stride.W, Pad.W);
        // The padded extent the windows read: below and right of the input as far as the last window reaches.
        long bottom = Math.Max(0, (rows - 1) * Stride.H + (Kernel.H - 1) * Dilation.H + 1 - x.shape[2] - Pad.H);
        long right = Math.Max(0, (columns - 1) * Stride.W + (Kernel.W - 1) * Dilation.W + 1 - x.shape[3] - Pad.W);
        using var scope = NewDisposeScope();
        var padded = Pad == (0, 0) && bottom == 0 && right == 0 ? x
            : nn.functional.pad(x, [Pad.W, right, Pad.H, bottom], PaddingModes.Constant, double.NegativeInfinity);
        Tensor? byRow = null;
        for (long a = 0; a < Kernel.H; a++)
        {
            var taps = padded.slice(2, a * Dilation.H, a * Dilation.H + (rows - 1) * Stride.H + 1, Stride.H);
            byRow = byRow is null ? taps : byRow.maximum(taps);
        }
        Tensor? pooled = null;
        for (long b = 0; b < Kernel.W; b++)
        {
            var taps = byRow!.slice(3, b * Dilation.W, b * Dilation.W + (columns - 1) * Stride.W + 1, Stride.W);
            pooled = pooled is null ? taps : pooled.maximum(taps);
        }
        // At least one maximum was taken (the window is not 1×1), so this is never a view of the input. A channels-last
        // input (a oneDNN evaluation convolution's output) gives a channels-last result, kept as it is: the next
        // convolution takes it without a copy.
        bool dense = pooled!.is_contiguous() || Engine.ChannelsLast.Is(pooled);
        return (dense ? pooled : pooled.contiguous()).MoveToOuterDisposeScope();
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
