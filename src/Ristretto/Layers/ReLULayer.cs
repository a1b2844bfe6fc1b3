using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>ReLU, or leaky ReLU with Caffe's <c>negative_slope</c> (ONNX LeakyRelu's alpha). Never in place.</summary>
[CaffeLayer("ReLU")]
public sealed class ReLULayer(string name, double negativeSlope = 0) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "ReLU";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new ReLULayer(LayerName, NegativeSlope);

    /// <inheritdoc/>
    internal override bool CanRunInPlace => NegativeSlope == 0;

    /// <inheritdoc/>
    internal override Tensor ForwardInPlace(Tensor input) => input.relu_();

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        if (NegativeSlope == 0)
            onnx.Node("Relu", LayerName, x, y);
        else
            onnx.Node("LeakyRelu", LayerName, x, y, ("alpha", NegativeSlope));
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        if (NegativeSlope != 0)
            p.ReluParam = new ReLUParameter { NegativeSlope = (float)NegativeSlope };
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        return new ReLULayer(p.Name, p.ReluParam?.NegativeSlope ?? 0);
    }

    /// <summary>Slope for negative inputs (0: plain ReLU).</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

    /// <inheritdoc />
    public override string Describe() => NegativeSlope == 0 ? "" : $"negative slope {NegativeSlope}";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        if (NegativeSlope == 0)
            return [inputs[0].relu()];
        using var slope = NegativeSlope.ToScalar();
        return [inputs[0].leaky_relu(slope)];
    }
}
