using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Flattens axes [<see cref="Axis"/>, end] into one (Caffe Flatten, ONNX Flatten with axis 1).</summary>
[CaffeLayer("Flatten")]
public sealed class FlattenLayer(string name, int axis = 1) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "Flatten";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new FlattenLayer(LayerName, Axis);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Flatten", LayerName, x, y, ("axis", (long)Axis));
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        p.FlattenParam = new FlattenParameter { Axis = Axis };
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        return new FlattenLayer(p.Name, p.FlattenParam?.Axis ?? 1);
    }

    /// <summary>First axis flattened.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        if (Axis < 0 || Axis > x.Length)
            throw new RistrettoException($"axis {Axis} is outside an input of rank {x.Length}");
        return [[.. x.Take(Axis), x.Skip(Axis).Aggregate(1L, (a, d) => a * d)]];
    }

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [inputs[0].flatten(Axis).contiguous()];
}
