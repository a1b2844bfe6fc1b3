using Ristretto.Formats;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>
/// The QONNX form (FINN, hls4ml, Brevitas export): each trim is a <c>Quant(x, scale, zeropt, bitwidth)</c> node of domain
/// <see cref="Domain"/> with attributes signed, narrow and rounding_mode "ROUND" (half to even), computing
/// <c>(clamp(round(x / scale + zeropt), min, max) − zeropt) · scale</c> for any width; a binary format (±α) is
/// <c>BipolarQuant(x, α)</c>. Weights and bias are stored in float, already trimmed (so the file is exact even where
/// float scales round), and pass through their Quant node. Scales and zero points are float32, shaped to broadcast along
/// the format's channel axis.
/// </summary>
internal sealed class QonnxWriter : FakeQuantOnnxWriter
{
    /// <summary>QONNX's custom-op domain.</summary>
    public const string Domain = "qonnx.custom_op.general";

    /// <summary>Widths a Quant node is written for.</summary>
    public const int MinBits = 2, MaxBits = 24;

    public QonnxWriter(OnnxGraphBuilder graph, IReadOnlyDictionary<string, long[]> shapes, QuantizationPlan plan)
        : base(graph, shapes, plan, "QONNX") => graph.UseDomain(Domain, 1);

    /// <inheritdoc/>
    protected override string FakeQuant(string x, int rank, NumberFormat format, string part, string output, string layer)
    {
        if (format.BipolarScale is double alpha)
        {
            Graph.Node("BipolarQuant", Domain, $"{layer}/{part}_quant", [x, Graph.Scalar($"{layer}.{part}_scale", alpha)], output);
            return output;
        }
        var grid = Grid(format, part);
        bool signed = grid.QMin < 0;
        int bits = format.BitWidth;
        bool narrow = signed && bits >= 2 && grid.QMin == -(1L << (bits - 1)) + 1;
        long min = signed ? -(1L << (bits - 1)) + (narrow ? 1 : 0) : 0, max = signed ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
        if (bits < MinBits || bits > MaxBits || grid.QMin != min || grid.QMax != max)
            throw new RistrettoException($"layer '{layer}': its {part} format ({format}) has no QONNX Quant form (widths {MinBits} to {MaxBits} bits, signed, narrow or unsigned codes)");
        long[] perChannel = grid.Axis is int axis ? Broadcast(rank, axis, grid.Scales.Count) : [];
        string scale = Scales($"{layer}.{part}_scale", grid, perChannel);
        string zero = grid.Axis is null ? Graph.Floats($"{layer}.{part}_zeropt", [], [grid.ZeroPoints[0]])
            : Graph.Floats($"{layer}.{part}_zeropt", perChannel, grid.ZeroPoints.Select(z => (float)z).ToArray());
        string width = Graph.Scalar($"{layer}.{part}_bitwidth", bits);
        Graph.Node("Quant", Domain, $"{layer}/{part}_quant", [x, scale, zero, width], output,
            ("signed", signed ? 1L : 0L), ("narrow", narrow ? 1L : 0L), ("rounding_mode", "ROUND"));
        return output;
    }

    /// <inheritdoc/>
    protected override string QuantizedParameter(string name, Tensor value, NumberFormat format, string part)
    {
        using var scope = NewDisposeScope();
        string stored = Graph.Initializer(name, format.Trim(value.detach().to(CPU).to(ScalarType.Float32)));
        return FakeQuant(stored, (int)value.dim(), format, part, Fresh($"{name}_quantized"), name);
    }
}
