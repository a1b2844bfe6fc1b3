using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>
/// The forms that keep float operators and mark each trim of the simulation with a quantize-dequantize: the quantized
/// layer's input and output pass through one, and its weights and bias are stored quantized and dequantized (QDQ), or
/// stored in float and quantized by a node (QONNX). The model then computes what the simulation computes.
/// </summary>
internal abstract class FakeQuantOnnxWriter(OnnxGraphBuilder graph, IReadOnlyDictionary<string, long[]> shapes, QuantizationPlan plan, string form)
    : QuantizedOnnxWriter(graph, shapes, plan, form)
{
    /// <inheritdoc/>
    protected override void WriteLayer(Layer layer, string[] inputs, string output)
    {
        if (Spec is null)
        {
            layer.WriteOnnx(this, inputs, output);
            return;
        }
        string name = layer.LayerName;
        var x = inputs.ToArray();
        if (Spec.Input is { } input)
            x[0] = FakeQuant(inputs[0], Shape(inputs[0]).Length, input, "input", ShapedLike(Fresh($"{inputs[0]}/{name}.input"), inputs[0]), name);
        if (Spec.Output is not { } outputFormat)
        {
            layer.WriteOnnx(this, x, output);
            return;
        }
        string raw = ShapedLike(Fresh($"{output}/float"), output);
        layer.WriteOnnx(this, x, raw);
        FakeQuant(raw, Shape(output).Length, outputFormat, "output", output, name);
    }

    /// <inheritdoc/>
    public override string Initializer(string name, Tensor value)
    {
        if (ParameterPart(name) is not { } part || FormatOf(part) is not { } format)
            return base.Initializer(name, value);
        return QuantizedParameter(name, value, format, part);
    }

    /// <summary>
    /// Writes the quantize-dequantize of <paramref name="x"/> (a tensor of rank <paramref name="rank"/>) to <paramref name="output"/>
    /// (nodes named after <paramref name="layer"/> and <paramref name="part"/>); returns <paramref name="output"/>.
    /// </summary>
    protected abstract string FakeQuant(string x, int rank, NumberFormat format, string part, string output, string layer);

    /// <summary>The name of a value holding parameter <paramref name="value"/> trimmed to <paramref name="format"/>.</summary>
    protected abstract string QuantizedParameter(string name, Tensor value, NumberFormat format, string part);

    /// <summary>The shape of a per-channel parameter along <paramref name="axis"/> for a tensor of rank <paramref name="rank"/>: [1, .., C, .., 1].</summary>
    protected static long[] Broadcast(int rank, int axis, int channels) =>
        Enumerable.Range(0, rank).Select(i => i == axis ? (long)channels : 1L).ToArray();
}
