using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Logistic sigmoid 1 / (1 + e^−x) (Caffe Sigmoid, ONNX Sigmoid).</summary>
public sealed class SigmoidLayer(string name) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "Sigmoid";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new SigmoidLayer(LayerName);

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [inputs[0].sigmoid()];
}
