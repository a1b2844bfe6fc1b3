using Ristretto.Formats;
using Ristretto.Quantization;
using static TorchSharp.torch;
using DataType = Ristretto.Interchange.Onnx.Proto.TensorProto.Types.DataType;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>
/// The QDQ form (ONNX Runtime's): a trimmed activation is QuantizeLinear then DequantizeLinear, whose element type must
/// hold exactly the format's codes (8 bits at opset 13; 4 and 16 bits raise the opset to 21); weights and bias are stored
/// as integer codes (the smallest type that holds them; int32 for a bias) and dequantized. Scales are float32, zero points
/// the codes' type, per channel along the format's axis.
/// </summary>
internal sealed class QdqOnnxWriter(OnnxGraphBuilder graph, IReadOnlyDictionary<string, long[]> shapes, QuantizationPlan plan)
    : FakeQuantOnnxWriter(graph, shapes, plan, "QDQ")
{
    /// <inheritdoc/>
    protected override string FakeQuant(string x, int rank, NumberFormat format, string part, string output, string layer)
    {
        var grid = Grid(format, part, "; --qformat qonnx writes any integer width");
        var type = ExactType(grid) ?? throw new RistrettoException(
            $"layer '{layer}': its {part} format ({format}) has codes [{grid.QMin}, {grid.QMax}], which no QuantizeLinear type holds exactly " +
            "(int8/uint8, int4/uint4, int16/uint16); --qformat qonnx writes any width from 2 to 24 bits");
        RaiseOpsetFor(type);
        var attributes = grid.Axis is int axis ? new (string, object)[] { ("axis", (long)axis) } : [];
        long[] channels = [grid.Scales.Count];
        string scale = Scales($"{layer}.{part}_scale", grid, channels);
        string zero = ZeroPoints($"{layer}.{part}_zero_point", grid, channels, type);
        string codes = Fresh($"{output}/quantized");
        Graph.Node("QuantizeLinear", $"{layer}/{part}_quantize", [x, scale, zero], codes, attributes);
        Graph.Node("DequantizeLinear", $"{layer}/{part}_dequantize", [codes, scale, zero], output, attributes);
        return output;
    }

    /// <inheritdoc/>
    protected override string QuantizedParameter(string name, Tensor value, NumberFormat format, string part)
    {
        var grid = Grid(format, part);
        var type = part == "bias" ? DataType.Int32 : Container(grid);
        RaiseOpsetFor(type);
        long[] codes = Codes(value, format, grid);
        string stored = CodesInitializer($"{name}_quantized", value.shape, codes, type);
        long[] channels = [grid.Scales.Count];
        string scale = Scales($"{name}_scale", grid, channels);
        string zero = ZeroPoints($"{name}_zero_point", grid, channels, type);
        string output = Fresh($"{name}_dequantized");
        var attributes = grid.Axis is int axis ? new (string, object)[] { ("axis", (long)axis) } : [];
        Graph.Node("DequantizeLinear", $"{name}/dequantize", [stored, scale, zero], output, attributes);
        return output;
    }
}
