using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Softmax along <see cref="Axis"/> (Caffe default 1).</summary>
public sealed class SoftmaxLayer(string name, long axis = 1) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "Softmax";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new SoftmaxLayer(LayerName, Axis);

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
