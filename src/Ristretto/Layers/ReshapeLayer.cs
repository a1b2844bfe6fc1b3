using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Reshapes to <see cref="Shape"/> as ONNX Reshape (and Caffe Reshape) do: 0 copies the input's dimension
/// at that index, −1 (at most once) takes what remains. Writing 0 for the batch keeps any batch size working.
/// </summary>
public sealed class ReshapeLayer : Layer
{
    /// <summary>Creates the layer with the target <paramref name="shape"/>.</summary>
    public ReshapeLayer(string name, long[] shape) : base(name)
    {
        if (shape.Count(d => d == -1) > 1 || shape.Any(d => d < -1))
            throw new RistrettoException($"layer '{name}': reshape target [{string.Join(", ", shape)}] may hold −1 once and no other negative value");
        Shape = shape;
    }

    /// <inheritdoc />
    public override string Type => "Reshape";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new ReshapeLayer(LayerName, Shape.ToArray());

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Reshape", LayerName, [x[0], onnx.Int64s($"{LayerName}.shape", Shape.ToArray())], y);
    }

    /// <summary>The target shape with its 0 and −1 entries.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [Resolve(inputs[0])];

    /// <inheritdoc />
    public override string Describe() => $"[{string.Join(", ", Shape)}]";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) => [inputs[0].reshape(Resolve(inputs[0].shape))];

    private long[] Resolve(long[] x)
    {
        long total = x.Aggregate(1L, (a, d) => a * d);
        var y = new long[Shape.Count];
        long known = 1;
        int free = -1;
        for (int i = 0; i < y.Length; i++)
        {
            if (Shape[i] == 0)
            {
                if (i >= x.Length)
                    throw new RistrettoException($"target [{string.Join(", ", Shape)}] copies dimension {i} of an input of rank {x.Length}");
                y[i] = x[i];
            }
            else
                y[i] = Shape[i];
            if (y[i] == -1)
                free = i;
            else
                known *= y[i];
        }
        if (free >= 0 && known > 0 && total % known == 0)
            y[free] = total / known;
        if (y.Aggregate(1L, (a, d) => a * d) != total)
            throw new RistrettoException($"input [{string.Join("×", x)}] cannot be reshaped to [{string.Join(", ", Shape)}]");
        return y;
    }
}
