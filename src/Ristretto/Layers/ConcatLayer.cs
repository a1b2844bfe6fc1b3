using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Concatenates its inputs along <see cref="Axis"/> (Caffe default: channels).</summary>
[CaffeLayer("Concat")]
public sealed class ConcatLayer(string name, int axis = 1) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "Concat";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new ConcatLayer(LayerName, Axis);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Concat", LayerName, x, y, ("axis", (long)Axis));
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        p.ConcatParam = new ConcatParameter { Axis = Axis };
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        return new ConcatLayer(p.Name, p.ConcatParam is { } cp ? (cp.HasAxis ? cp.Axis : cp.HasConcatDim ? (int)cp.ConcatDim : 1) : 1);
    }

    /// <summary>The axis joined.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc />
    public override (int Min, int Max) InputCount => (1, int.MaxValue);

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var first = inputs[0];
        int axis = Axis < 0 ? Axis + first.Length : Axis;
        if (axis < 0 || axis >= first.Length)
            throw new RistrettoException($"axis {Axis} is outside an input of rank {first.Length}");
        foreach (var other in inputs.Skip(1))
            if (other.Length != first.Length || Enumerable.Range(0, first.Length).Any(i => i != axis && other[i] != first[i]))
                throw new RistrettoException($"inputs [{string.Join("×", first)}] and [{string.Join("×", other)}] differ outside axis {axis}");
        var y = (long[])first.Clone();
        y[axis] = inputs.Sum(s => s[axis]);
        return [y];
    }

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [cat(inputs, Axis)];
}
