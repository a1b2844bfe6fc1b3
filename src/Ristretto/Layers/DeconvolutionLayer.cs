using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Transposed 2-D convolution (Caffe Deconvolution, ONNX ConvTranspose) with groups, dilation and output padding.</summary>
[CaffeLayer("Deconvolution", "DeconvolutionRistretto")]
public sealed class DeconvolutionLayer : Layer, IWeightedLayer
{
    /// <summary>Creates the layer with <paramref name="weight"/> [in, out/groups, kh, kw] and optional <paramref name="bias"/> [out].</summary>
    public DeconvolutionLayer(string name, Parameter weight, Parameter? bias, ConvolutionLayer.Geometry geometry, (long H, long W) outputPadding = default) : base(name)
    {
        if (weight.dim() != 4)
            throw new RistrettoException($"layer '{name}': deconvolution weights must have rank 4, got [{string.Join("×", weight.shape)}]");
        if (geometry.Groups < 1 || weight.shape[0] % geometry.Groups != 0)
            throw new RistrettoException($"layer '{name}': {weight.shape[0]} inputs do not divide into {geometry.Groups} groups");
        if (bias is not null && (bias.dim() != 1 || bias.shape[0] != weight.shape[1] * geometry.Groups))
            throw new RistrettoException($"layer '{name}': bias has shape [{string.Join("×", bias.shape)}], expected [{weight.shape[1] * geometry.Groups}]");
        if (outputPadding.H < 0 || outputPadding.W < 0 || outputPadding.H >= Math.Max(geometry.Stride.H, geometry.Dilation.H) || outputPadding.W >= Math.Max(geometry.Stride.W, geometry.Dilation.W))
            throw new RistrettoException($"layer '{name}': output padding ({outputPadding.H}, {outputPadding.W}) must be smaller than the stride or dilation");
        Geo = geometry;
        OutputPadding = outputPadding;
        register_parameter("weight", weight);
        if (bias is not null)
            register_parameter("bias", bias);
    }

    /// <inheritdoc />
    public override string Type => "Deconvolution";

    /// <inheritdoc />
    internal override bool CouplesImages => true; // libtorch's transposed convolution is not known to compute each image on its own

    /// <inheritdoc/>
    protected override Layer CopyCore() => new DeconvolutionLayer(LayerName, CopyParameter(Weight), CopyParameterOrNull(Bias), Geo, OutputPadding);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        var attributes = ConvolutionLayer.OnnxWindow(Geo).Append(("group", Geo.Groups)).ToList();
        if (OutputPadding != default)
            attributes.Add(("output_padding", new[] { OutputPadding.H, OutputPadding.W }));
        onnx.Node("ConvTranspose", LayerName, onnx.WithParameters(x[0], LayerName, Weight, Bias), y, [.. attributes]);
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        if (OutputPadding != default)
            throw new RistrettoException($"layer '{LayerName}' (Deconvolution) has output padding, which Caffe cannot express");
        p.ConvolutionParam = ConvolutionLayer.CaffeConvolutionParam(Weight.shape[1] * Geo.Groups, Bias is not null, Geo);
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        var c = p.ConvolutionParam ?? throw new RistrettoException("has no convolution_param");
        var g = ConvolutionLayer.CaffeGeometry(c);
        long groups = g.Groups;
        if (groups < 1 || c.NumOutput % groups != 0)
            throw new RistrettoException($"{c.NumOutput} outputs do not divide into {groups} groups");
        long[] wShape = [inputs.InputChannels(p), c.NumOutput / groups, g.Kernel.H, g.Kernel.W];
        var (w, b) = inputs.Weights(wShape, c.BiasTerm ? c.NumOutput : null, p.Name);
        return new DeconvolutionLayer(p.Name, w, b, g);
    }

    /// <summary>Kernel, stride, padding, dilation and groups.</summary>
    public ConvolutionLayer.Geometry Geo { get; }

    /// <summary>Extra rows and columns added at the end of the output.</summary>
    public (long H, long W) OutputPadding { get; }

    /// <summary>Weights [in, out/groups, kh, kw].</summary>
    public Parameter Weight => get_parameter("weight")!;

    /// <summary>Bias [out], or null.</summary>
    public Parameter? Bias => get_parameter("bias");

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        RequireRank(x, 4);
        if (x[1] != Weight.shape[0])
            throw new RistrettoException($"input has {x[1]} channels, the weights expect {Weight.shape[0]}");
        long h = (x[2] - 1) * Geo.Stride.H - 2 * Geo.Pad.H + Geo.Dilation.H * (Geo.Kernel.H - 1) + OutputPadding.H + 1;
        long w = (x[3] - 1) * Geo.Stride.W - 2 * Geo.Pad.W + Geo.Dilation.W * (Geo.Kernel.W - 1) + OutputPadding.W + 1;
        return [[x[0], Weight.shape[1] * Geo.Groups, h, w]];
    }

    /// <inheritdoc />
    public override long Macs(long[][] inputs)
    {
        var x = inputs[0];
        return x[1] * x[2] * x[3] * Weight.shape[1] * Weight.shape[2] * Weight.shape[3];
    }

    /// <inheritdoc />
    public override string Describe() =>
        $"{Weight.shape[1] * Geo.Groups} × {Geo.Kernel.H}×{Geo.Kernel.W}, stride {Geo.Stride.H}, pad {Geo.Pad.H}" + (Geo.Groups != 1 ? $", groups {Geo.Groups}" : "");

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [Apply(inputs[0], Weight, Bias)];

    /// <inheritdoc />
    /// <remarks>While oneDNN is on and gradients are recorded, output channels that would leave oneDNN's backward pass a
    /// partial block are zero-padded and sliced off (<see cref="OneDnnConvolution"/>).</remarks>
    public Tensor Apply(Tensor input, Tensor weight, Tensor? bias) =>
        OneDnnConvolution.ConvTranspose2d(input, weight, bias, [Geo.Stride.H, Geo.Stride.W], [Geo.Pad.H, Geo.Pad.W],
            [OutputPadding.H, OutputPadding.W], [Geo.Dilation.H, Geo.Dilation.W], Geo.Groups);
}
