using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Keeps <see cref="Lengths"/>[i] entries from <see cref="Starts"/>[i] along every axis i (a crop; ONNX Slice with
/// step 1). A length of −1 keeps the rest of the axis, so the batch axis can stay free.
/// </summary>
public sealed class SliceLayer : Layer
{
    /// <summary>Creates the layer; <paramref name="starts"/> and <paramref name="lengths"/> have one entry per input axis.</summary>
    public SliceLayer(string name, long[] starts, long[] lengths) : base(name)
    {
        if (starts.Length != lengths.Length || starts.Any(s => s < 0) || lengths.Any(l => l < 1 && l != -1))
            throw new RistrettoException($"layer '{name}': slice needs a start ≥ 0 and a length ≥ 1 (or −1) per axis");
        Starts = starts;
        Lengths = lengths;
    }

    /// <inheritdoc />
    public override string Type => "Slice";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new SliceLayer(LayerName, Starts.ToArray(), Lengths.ToArray());

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        var ends = Starts.Zip(Lengths, (start, length) => length == -1 ? long.MaxValue : start + length).ToArray();
        var axes = Enumerable.Range(0, Starts.Count).Select(i => (long)i).ToArray();
        onnx.Node("Slice", LayerName, [x[0], onnx.Int64s($"{LayerName}.starts", Starts.ToArray()), onnx.Int64s($"{LayerName}.ends", ends),
            onnx.Int64s($"{LayerName}.axes", axes)], y);
    }

    /// <summary>First index kept on each axis.</summary>
    public IReadOnlyList<long> Starts { get; }

    /// <summary>Entries kept on each axis.</summary>
    public IReadOnlyList<long> Lengths { get; }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        RequireRank(x, Starts.Count);
        var y = new long[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = Lengths[i] == -1 ? x[i] - Starts[i] : Lengths[i];
            if (y[i] < 1 || Starts[i] + y[i] > x[i])
                throw new RistrettoException($"axis {i}: entries from {Starts[i]} ({Lengths[i]} of them) do not fit size {x[i]}");
        }
        return [y];
    }

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var y = inputs[0].alias();
        for (int i = 0; i < Starts.Count; i++)
            if (Starts[i] != 0 || (Lengths[i] != -1 && Lengths[i] != y.shape[i]))
                y = y.narrow(i, Starts[i], Lengths[i] == -1 ? y.shape[i] - Starts[i] : Lengths[i]);
        return [y.contiguous().MoveToOuterDisposeScope()];
    }
}
