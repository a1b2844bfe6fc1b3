using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Dropout: identity at test time, inverted dropout with <see cref="Ratio"/> while training.</summary>
[CaffeLayer("Dropout")]
public sealed class DropoutLayer(string name, double ratio = 0.5) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "Dropout";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new DropoutLayer(LayerName, Ratio);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Dropout", LayerName, [x[0], onnx.Scalar($"{LayerName}.ratio", Ratio)], y);
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        p.DropoutParam = new DropoutParameter { DropoutRatio = (float)Ratio };
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        return new DropoutLayer(p.Name, p.DropoutParam?.DropoutRatio ?? 0.5);
    }

    /// <summary>Fraction of activations dropped in training.</summary>
    public double Ratio { get; } = ratio is >= 0 and < 1 ? ratio : throw new RistrettoException($"layer '{name}': dropout ratio must be in [0, 1), got {ratio}");

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) =>
        [training && Ratio > 0 ? nn.functional.dropout(inputs[0], Ratio, true) : inputs[0].alias()];
}
