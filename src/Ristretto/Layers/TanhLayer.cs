using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Hyperbolic tangent (Caffe TanH, ONNX Tanh).</summary>
public sealed class TanhLayer(string name) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "TanH";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new TanhLayer(LayerName);

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [inputs[0].tanh()];
}
