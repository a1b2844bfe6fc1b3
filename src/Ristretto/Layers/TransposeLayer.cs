using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Permutes the axes: output axis i is input axis <see cref="Permutation"/>[i] (ONNX Transpose, Caffe Permute).</summary>
public sealed class TransposeLayer : Layer
{
    /// <summary>Creates the layer with permutation <paramref name="permutation"/>.</summary>
    public TransposeLayer(string name, long[] permutation) : base(name)
    {
        if (!permutation.Order().SequenceEqual(Enumerable.Range(0, permutation.Length).Select(i => (long)i)))
            throw new RistrettoException($"layer '{name}': [{string.Join(", ", permutation)}] is not a permutation");
        Permutation = permutation;
    }

    /// <inheritdoc />
    public override string Type => "Permute";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new TransposeLayer(LayerName, Permutation.ToArray());

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Transpose", LayerName, x, y, ("perm", Permutation.ToArray()));
    }

    /// <summary>For each output axis, the input axis it takes.</summary>
    public IReadOnlyList<long> Permutation { get; }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        RequireRank(inputs[0], Permutation.Count);
        return [Permutation.Select(p => inputs[0][p]).ToArray()];
    }

    /// <inheritdoc />
    public override string Describe() => $"[{string.Join(", ", Permutation)}]";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        return [inputs[0].permute(Permutation.ToArray()).contiguous().MoveToOuterDisposeScope()];
    }
}
