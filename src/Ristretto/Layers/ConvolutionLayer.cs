using Ristretto.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>2-D convolution (Caffe Convolution, ONNX Conv) with groups (depthwise) and dilation.</summary>
public sealed class ConvolutionLayer : Layer, IWeightedLayer
{
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
    public Tensor Apply(Tensor input, Tensor weight, Tensor? bias) =>
        nn.functional.conv2d(input, weight, bias, [Geo.Stride.H, Geo.Stride.W], [Geo.Pad.H, Geo.Pad.W],
            [Geo.Dilation.H, Geo.Dilation.W], Geo.Groups);

    internal static long OutSize(long size, long kernel, long stride, long pad, long dilation) =>
        (size + 2 * pad - (dilation * (kernel - 1) + 1)) / stride + 1;
}
