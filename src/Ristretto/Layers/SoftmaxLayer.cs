using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Softmax along <see cref="Axis"/> (Caffe default 1).</summary>
[CaffeLayer("Softmax")]
public sealed class SoftmaxLayer(string name, long axis = 1) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "Softmax";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new SoftmaxLayer(LayerName, Axis);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Softmax", LayerName, x, y, ("axis", Axis));
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        p.SoftmaxParam = new SoftmaxParameter { Axis = (int)Axis };
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        return new SoftmaxLayer(p.Name, p.SoftmaxParam?.Axis ?? 1);
    }

    /// <summary>The axis normalised.</summary>
    public long Axis { get; } = axis;

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        if (Axis >= inputs[0].Length || Axis < -inputs[0].Length)
            throw new RistrettoException($"axis {Axis} is outside an input of rank {inputs[0].Length}");
        return [inputs[0]];
    }

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [inputs[0].softmax(Axis)];
}
