using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Logarithm of the softmax along <see cref="Axis"/>, computed stably (ONNX LogSoftmax).</summary>
public sealed class LogSoftmaxLayer(string name, long axis = 1) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "LogSoftmax";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new LogSoftmaxLayer(LayerName, Axis);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("LogSoftmax", LayerName, x, y, ("axis", Axis));
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
    public override Tensor[] forward(Tensor[] inputs) => [inputs[0].log_softmax(Axis)];
}
