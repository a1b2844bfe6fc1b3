using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Logistic sigmoid 1 / (1 + e^−x) (Caffe Sigmoid, ONNX Sigmoid).</summary>
[CaffeLayer("Sigmoid")]
public sealed class SigmoidLayer(string name) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "Sigmoid";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new SigmoidLayer(LayerName);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Sigmoid", LayerName, x, y);
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        return new SigmoidLayer(p.Name);
    }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [inputs[0].sigmoid()];
}
