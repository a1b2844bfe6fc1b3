using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Hyperbolic tangent (Caffe TanH, ONNX Tanh).</summary>
[CaffeLayer("TanH")]
public sealed class TanhLayer(string name) : Layer(name), ISmoothActivation
{
    /// <inheritdoc />
    public double Value(double x) => Math.Tanh(x);

    /// <summary>[−4, 4]: tanh(4) is 1 − 6.7·10⁻⁴.</summary>
    public (double Lo, double Hi) DefaultRange => (-4, 4);

    /// <inheritdoc />
    public (double Below, double Above) SlopesOutside => (0, 0);

    /// <inheritdoc />
    public override string Type => "TanH";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new TanhLayer(LayerName);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Tanh", LayerName, x, y);
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        return new TanhLayer(p.Name);
    }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [inputs[0].tanh()];
}
