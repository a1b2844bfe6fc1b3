using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Fully connected layer (Caffe InnerProduct, ONNX Gemm): y = x·Wᵀ + b over the flattened input.</summary>
[CaffeLayer("InnerProduct", "FcRistretto")]
public sealed class InnerProductLayer : Layer, IWeightedLayer
{
    /// <summary>Creates the layer with <paramref name="weight"/> [out, in] and optional <paramref name="bias"/> [out].</summary>
    public InnerProductLayer(string name, Parameter weight, Parameter? bias) : base(name)
    {
        if (weight.dim() != 2)
            throw new RistrettoException($"layer '{name}': inner-product weights must have rank 2, got [{string.Join("×", weight.shape)}]");
        if (bias is not null && (bias.dim() != 1 || bias.shape[0] != weight.shape[0]))
            throw new RistrettoException($"layer '{name}': bias has shape [{string.Join("×", bias.shape)}], expected [{weight.shape[0]}]");
        register_parameter("weight", weight);
        if (bias is not null)
            register_parameter("bias", bias);
    }

    /// <inheritdoc />
    public override string Type => "InnerProduct";

    /// <inheritdoc />
    internal override bool CouplesImages => true; // one matrix product over the batch

    /// <inheritdoc/>
    protected override Layer CopyCore() => new InnerProductLayer(LayerName, CopyParameter(Weight), CopyParameterOrNull(Bias));

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        string input = x[0];
        if (onnx.Shape(input).Length != 2)
            input = onnx.Helper("Flatten", LayerName, "flatten", [input], y, ("axis", 1L));
        onnx.Node("Gemm", LayerName, onnx.WithParameters(input, LayerName, Weight, Bias), y, ("transB", 1L));
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        p.InnerProductParam = new InnerProductParameter { NumOutput = (uint)Weight.shape[0], BiasTerm = Bias is not null };
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        var c = p.InnerProductParam ?? throw new RistrettoException("has no inner_product_param");
        if (c.Transpose)
            throw new RistrettoException("transposed inner products are not supported");
        long features = inputs.Features(p);
        var (w, b) = inputs.Weights([c.NumOutput, features], c.BiasTerm ? c.NumOutput : null, p.Name);
        return new InnerProductLayer(p.Name, w, b);
    }

    /// <summary>Weights [out, in].</summary>
    public Parameter Weight => get_parameter("weight")!;

    /// <summary>Bias [out], or null.</summary>
    public Parameter? Bias => get_parameter("bias");

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        long features = x.Skip(1).Aggregate(1L, (a, d) => a * d);
        if (features != Weight.shape[1])
            throw new RistrettoException($"input [{string.Join("×", x)}] has {features} features per image, the weights expect {Weight.shape[1]}");
        return [[x[0], Weight.shape[0]]];
    }

    /// <inheritdoc />
    public override long Macs(long[][] inputs) => Weight.shape[0] * Weight.shape[1];

    /// <inheritdoc />
    public override string Describe() => $"{Weight.shape[1]} → {Weight.shape[0]}";

    /// <inheritdoc />
    internal override bool OutputIsFresh => true;

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [Apply(inputs[0], Weight, Bias)];

    /// <inheritdoc />
    public Tensor Apply(Tensor input, Tensor weight, Tensor? bias)
    {
        using var flat = input.dim() == 2 ? input.alias() : input.flatten(1);
        return nn.functional.linear(flat, weight, bias);
    }
}
