using Ristretto.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Pads (or, with negative amounts, crops) every axis with a constant, as ONNX Pad in constant mode.
/// <see cref="Pads"/> lists the amounts before each axis, then after each axis.
/// </summary>
public sealed class PadLayer : Layer
{
    /// <summary>Creates the layer; <paramref name="pads"/> has two entries per axis of the input (begins, then ends).</summary>
    public PadLayer(string name, long[] pads, double value = 0) : base(name)
    {
        if (pads.Length % 2 != 0)
            throw new RistrettoException($"layer '{name}': pads must list a begin and an end per axis, got {pads.Length} values");
        Pads = pads;
        Value = value;
    }

    /// <inheritdoc />
    public override string Type => "Pad";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new PadLayer(LayerName, Pads.ToArray(), Value);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Pad", LayerName, [x[0], onnx.Int64s($"{LayerName}.pads", Pads.ToArray()), onnx.Scalar($"{LayerName}.value", Value)], y);
    }

    /// <summary>Begins for each axis, then ends.</summary>
    public IReadOnlyList<long> Pads { get; }

    /// <summary>The fill value.</summary>
    public double Value { get; }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        int n = Pads.Count / 2;
        if (n != x.Length)
            throw new RistrettoException($"{Pads.Count} pads for an input of rank {x.Length}");
        return [x.Select((d, i) => d + Pads[i] + Pads[i + n]).ToArray()];
    }

    /// <inheritdoc />
    public override string Describe() => $"[{string.Join(", ", Pads)}], value {Value}";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        int n = Pads.Count / 2;
        // torch lists (begin, end) from the last axis backwards; leading axes without padding may be left out.
        int first = 0;
        while (first < n && Pads[first] == 0 && Pads[first + n] == 0)
            first++;
        if (first == n)
            return [inputs[0].alias()];
        var torchPads = new List<long>();
        for (int i = n - 1; i >= first; i--)
        {
            torchPads.Add(Pads[i]);
            torchPads.Add(Pads[i + n]);
        }
        return [nn.functional.pad(inputs[0], torchPads.ToArray(), PaddingModes.Constant, Value)];
    }
}
