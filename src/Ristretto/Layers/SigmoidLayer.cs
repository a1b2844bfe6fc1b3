using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Logistic sigmoid 1 / (1 + e^−x) (Caffe Sigmoid, ONNX Sigmoid).</summary>
[CaffeLayer("Sigmoid")]
public sealed class SigmoidLayer(string name) : Layer(name), ISmoothActivation
{
    /// <inheritdoc />
    public double Value(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>[−8, 8]: σ(8) is 1 − 3.4·10⁻⁴.</summary>
    public (double Lo, double Hi) DefaultRange => (-8, 8);

    /// <inheritdoc />
    public (double Below, double Above) SlopesOutside => (0, 0);

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
