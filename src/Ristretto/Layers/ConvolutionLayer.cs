using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>2-D convolution (Caffe Convolution, ONNX Conv) with groups (depthwise) and dilation.</summary>
[CaffeLayer("Convolution", "ConvolutionRistretto")]
public sealed class ConvolutionLayer : Layer, IWeightedLayer
{
    private readonly PaddedWeights _padded = new(); // zero-padded weights for oneDNN, kept for one evaluation

    /// <summary>Spatial settings: kernel, stride, padding and dilation as (height, width).</summary>
    public sealed record Geometry((long H, long W) Kernel, (long H, long W) Stride, (long H, long W) Pad, (long H, long W) Dilation, long Groups = 1)
    {
        /// <summary>Square kernel, stride 1, no padding.</summary>
        public static Geometry Square(long kernel, long stride = 1, long pad = 0, long dilation = 1, long groups = 1) =>
            new((kernel, kernel), (stride, stride), (pad, pad), (dilation, dilation), groups);
    }

    /// <summary>Creates the layer with <paramref name="weight"/> [out, in/groups, kh, kw] and optional <paramref name="bias"/> [out].</summary>
    public ConvolutionLayer(string name, Parameter weight, Parameter? bias, Geometry geometry) : base(name)
    {
        if (weight.dim() != 4)
            throw new RistrettoException($"layer '{name}': convolution weights must have rank 4, got [{string.Join("×", weight.shape)}]");
        if (geometry.Groups < 1 || weight.shape[0] % geometry.Groups != 0)
            throw new RistrettoException($"layer '{name}': {weight.shape[0]} outputs do not divide into {geometry.Groups} groups");
        if (bias is not null && (bias.dim() != 1 || bias.shape[0] != weight.shape[0]))
            throw new RistrettoException($"layer '{name}': bias has shape [{string.Join("×", bias.shape)}], expected [{weight.shape[0]}]");
        Geo = geometry;
        register_parameter("weight", weight);
        if (bias is not null)
            register_parameter("bias", bias);
    }

    /// <inheritdoc />
    public override string Type => "Convolution";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new ConvolutionLayer(LayerName, CopyParameter(Weight), CopyParameterOrNull(Bias), Geo);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Conv", LayerName, onnx.WithParameters(x[0], LayerName, Weight, Bias), y, [.. OnnxWindow(Geo), ("group", Geo.Groups)]);
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        p.ConvolutionParam = CaffeConvolutionParam(Weight.shape[0], Bias is not null, Geo);
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        var c = p.ConvolutionParam ?? throw new RistrettoException("has no convolution_param");
        var g = CaffeGeometry(c);
        long groups = g.Groups;
        long inChannels = inputs.InputChannels(p);
        if (groups < 1 || inChannels % groups != 0)
            throw new RistrettoException($"{inChannels} input channels do not divide into {groups} groups");
        long[] wShape = [c.NumOutput, inChannels / groups, g.Kernel.H, g.Kernel.W];
        var (w, b) = inputs.Weights(wShape, c.BiasTerm ? c.NumOutput : null, p.Name);
        return new ConvolutionLayer(p.Name, w, b, g);
    }

    /// <summary>Kernel, stride, pad, dilation and groups of Caffe's convolution_param (also a deconvolution's).</summary>
    internal static Geometry CaffeGeometry(ConvolutionParameter c) => new(
        CaffeLayerInputs.Pair(c.KernelSize, c.HasKernelH ? c.KernelH : null, c.HasKernelW ? c.KernelW : null, null, "kernel_size"),
        CaffeLayerInputs.Pair(c.Stride, c.HasStrideH ? c.StrideH : null, c.HasStrideW ? c.StrideW : null, 1, "stride"),
        CaffeLayerInputs.Pair(c.Pad, c.HasPadH ? c.PadH : null, c.HasPadW ? c.PadW : null, 0, "pad"),
        CaffeLayerInputs.Pair(c.Dilation, null, null, 1, "dilation"),
        c.Group);

    /// <summary>Caffe's convolution_param (also a deconvolution's): outputs, bias, groups, kernel, stride, pad, dilation.</summary>
    internal static ConvolutionParameter CaffeConvolutionParam(long outputs, bool bias, Geometry g)
    {
        var param = new ConvolutionParameter
        {
            NumOutput = (uint)outputs, BiasTerm = bias, Group = (uint)g.Groups,
            KernelH = (uint)g.Kernel.H, KernelW = (uint)g.Kernel.W, StrideH = (uint)g.Stride.H, StrideW = (uint)g.Stride.W,
            PadH = (uint)g.Pad.H, PadW = (uint)g.Pad.W,
        };
        if (g.Dilation.H != 1 || g.Dilation.W != 1)
        {
            param.Dilation.Add((uint)g.Dilation.H);
            param.Dilation.Add((uint)g.Dilation.W);
        }
        return param;
    }

    /// <summary>ONNX's kernel_shape, strides, pads and dilations of <paramref name="g"/> (Conv and ConvTranspose).</summary>
    internal static IEnumerable<(string, object)> OnnxWindow(Geometry g) =>
    [
        ("kernel_shape", new[] { g.Kernel.H, g.Kernel.W }), ("strides", new[] { g.Stride.H, g.Stride.W }),
        ("pads", new[] { g.Pad.H, g.Pad.W, g.Pad.H, g.Pad.W }), ("dilations", new[] { g.Dilation.H, g.Dilation.W }),
    ];

    /// <summary>Kernel, stride, padding, dilation and groups.</summary>
    public Geometry Geo { get; }

    /// <summary>Weights [out, in/groups, kh, kw].</summary>
    public Parameter Weight => get_parameter("weight")!;

    /// <summary>Bias [out], or null.</summary>
    public Parameter? Bias => get_parameter("bias");

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        RequireRank(x, 4);
        long expected = Weight.shape[1] * Geo.Groups;
        if (x[1] != expected)
            throw new RistrettoException($"input has {x[1]} channels, the weights expect {expected}");
        long h = OutSize(x[2], Geo.Kernel.H, Geo.Stride.H, Geo.Pad.H, Geo.Dilation.H);
        long w = OutSize(x[3], Geo.Kernel.W, Geo.Stride.W, Geo.Pad.W, Geo.Dilation.W);
        return [[x[0], Weight.shape[0], h, w]];
    }

    /// <inheritdoc />
    public override long Macs(long[][] inputs)
    {
        var y = OutputShapes(inputs)[0];
        return y[1] * y[2] * y[3] * Weight.shape[1] * Weight.shape[2] * Weight.shape[3];
    }

    /// <inheritdoc />
    public override string Describe() =>
        $"{Weight.shape[0]} × {Geo.Kernel.H}×{Geo.Kernel.W}, stride {Geo.Stride.H}, pad {Geo.Pad.H}" +
        (Geo.Dilation.H != 1 ? $", dilation {Geo.Dilation.H}" : "") + (Geo.Groups != 1 ? $", groups {Geo.Groups}" : "");

    /// <inheritdoc />
    internal override bool OutputIsFresh => true;

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [Apply(inputs[0], Weight, Bias)];

    /// <inheritdoc />
    /// <remarks>
    /// While oneDNN is on, channel counts that would leave oneDNN a partial block are zero-padded
    /// (<see cref="OneDnnConvolution"/>); the padded weights are kept for the rest of an evaluation.
    /// </remarks>
    public Tensor Apply(Tensor input, Tensor weight, Tensor? bias) =>
        OneDnnConvolution.Conv2d(input, weight, bias, [Geo.Stride.H, Geo.Stride.W], [Geo.Pad.H, Geo.Pad.W],
            [Geo.Dilation.H, Geo.Dilation.W], Geo.Groups, _padded);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _padded.Dispose();
        base.Dispose(disposing);
    }

    internal static long OutSize(long size, long kernel, long stride, long pad, long dilation) =>
        (size + 2 * pad - (dilation * (kernel - 1) + 1)) / stride + 1;
}
