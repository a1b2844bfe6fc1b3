using Ristretto.Engine;
using Ristretto.Interchange.Onnx.Proto;
using Ristretto.Layers;
using static TorchSharp.torch;
using DataType = Ristretto.Interchange.Onnx.Proto.TensorProto.Types.DataType;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>
/// Integer operators on run-time codes (held as float32 values): a lone QuantizeLinear or DequantizeLinear becomes a
/// <see cref="QuantizeLinearLayer"/> or <see cref="DequantizeLinearLayer"/>; QLinearConv and QLinearMatMul dequantize their
/// input, run the float operator on dequantized constant weights and bias, and quantize the result; ConvInteger and
/// MatMulInteger subtract the zero points and run the float operator on the integer values (exact below 2^24).
/// </summary>
internal sealed partial class OnnxConverter
{
    private bool ConvertIntegerOperator(OnnxNode node)
    {
        switch (node.Op)
        {
            case "QLinearConv":
            {
                string x = DequantizeRuntime(node, node.Input(0), node.Input(1), node.Input(2), "x");
                var (scales, zeros, _) = Parameters(node, node.Input(4), node.Input(5), "w");
                var w = Constant(node, node.Input(3), "w");
                var weight = Dequantized(w, scales, zeros, 0);
                string? bias = null;
                if (node.Input(8) is { } b)
                {
                    float inputScale = Floats(node, node.Input(1), "scale")[0];
                    bias = Temporary(node, "bias", Dequantized(Constant(node, b, "B").to(ScalarType.Float32), scales.Select(s => s * inputScale).ToArray(), new float[scales.Length], 0));
                }
                string conv = Inner(node, "Conv", [x, Temporary(node, "weight", weight), bias ?? ""], $"{node.Output()}/float", node.Proto.Attribute);
                QuantizeRuntime(node, conv, node.Input(6), node.Input(7), node.Output());
                return true;
            }
            case "ConvInteger":
            {
                string x = DequantizeRuntime(node, node.Input(0), null, node.Input(2), "x");
                var w = Constant(node, node.Input(1), "w");
                var (_, zeros, _) = Parameters(node, null, node.Input(3), "w", count: w.shape[0]);
                Inner(node, "Conv", [x, Temporary(node, "weight", Dequantized(w, new float[zeros.Length].Select(_ => 1f).ToArray(), zeros, 0))], node.Output(), node.Proto.Attribute);
                return true;
            }
            case "MatMulInteger":
            {
                string a = DequantizeRuntime(node, node.Input(0), null, node.Input(2), "A");
                var bt = Constant(node, node.Input(1), "B");
                var (_, zeros, _) = Parameters(node, null, node.Input(3), "B", count: bt.shape[^1]);
                Inner(node, "MatMul", [a, Temporary(node, "B", Dequantized(bt, Enumerable.Repeat(1f, zeros.Length).ToArray(), zeros, (int)bt.dim() - 1))], node.Output(), []);
                return true;
            }
            case "QLinearMatMul":
            {
                string a = DequantizeRuntime(node, node.Input(0), node.Input(1), node.Input(2), "a");
                var bt = Constant(node, node.Input(3), "b");
                var (scales, zeros, _) = Parameters(node, node.Input(4), node.Input(5), "b", count: bt.shape[^1]);
                string product = Inner(node, "MatMul", [a, Temporary(node, "b", Dequantized(bt, scales, zeros, (int)bt.dim() - 1))], $"{node.Output()}/float", []);
                QuantizeRuntime(node, product, node.Input(6), node.Input(7), node.Output());
                return true;
            }
            default:
                return false;
        }
    }

    /// <summary>A DequantizeLinear of run-time codes <paramref name="x"/> (scale 1 when <paramref name="scale"/> is null); returns its blob.</summary>
    private string DequantizeRuntime(OnnxNode node, string? x, string? scale, string? zero, string role, string? output = null, int? axisAttribute = null)
    {
        var (blob, shape) = Runtime(x, $"input {role}");
        var (scales, zeros, axis) = Parameters(node, scale, zero, role, rank: shape.Length, axisAttribute: axisAttribute);
        return Chain(new DequantizeLinearLayer(LayerName(node, output is null ? $"{role}_dequantize" : null), scales, zeros, axis), blob, output ?? $"{node.Output()}/{role}_dequantized");
    }

    /// <summary>A QuantizeLinear of run-time <paramref name="blob"/> into <paramref name="output"/>, its codes' range from the zero point's type (uint8 without one).</summary>
    private void QuantizeRuntime(OnnxNode node, string blob, string? scale, string? zero, string output, int? axisAttribute = null)
    {
        var (scales, zeros, axis) = Parameters(node, scale, zero, "y", rank: _shapes[blob].Length, axisAttribute: axisAttribute);
        var type = zero is null ? DataType.Uint8 : ElementType(zero, "y_zero_point");
        var (min, max) = type switch
        {
            DataType.Int8 => (-128L, 127L), DataType.Uint8 => (0L, 255L), DataType.Int16 => (-32768L, 32767L), DataType.Uint16 => (0L, 65535L),
            DataType.Int4 => (-8L, 7L), DataType.Uint4 => (0L, 15L), DataType.Int32 => (int.MinValue, int.MaxValue),
            _ => throw new RistrettoException($"codes of type {type} are not supported"),
        };
        Chain(new QuantizeLinearLayer(LayerName(node, blob == output ? null : "quantize"), scales, zeros, axis, min, max), blob, output);
    }

    /// <summary>Scales (1 when absent) and zero points (0 when absent) of a parameter pair, and their axis on a tensor of rank <paramref name="rank"/>.</summary>
    private (float[] Scales, float[] Zeros, int? Axis) Parameters(OnnxNode node, string? scale, string? zero, string role, long rank = 1, long count = 1, int? axisAttribute = null)
    {
        float[] scales = scale is null ? [] : Floats(node, scale, "scale");
        float[] zeros = zero is null ? [] : Constant(node, zero, $"{role} zero point").to(ScalarType.Float32).flatten().data<float>().ToArray();
        int n = Math.Max(Math.Max(scales.Length, zeros.Length), 1);
        if (scales.Length == 0)
            scales = Enumerable.Repeat(1f, n).ToArray();
        if (zeros.Length == 0)
            zeros = new float[n];
        if (scales.Length == 1 && n > 1)
            scales = Enumerable.Repeat(scales[0], n).ToArray();
        if (zeros.Length == 1 && n > 1)
            zeros = Enumerable.Repeat(zeros[0], n).ToArray();
        Require(scales.Length == zeros.Length, $"{role}: {scales.Length} scales but {zeros.Length} zero points");
        if (n == 1 && count > 1)
            return (Enumerable.Repeat(scales[0], (int)count).ToArray(), Enumerable.Repeat(zeros[0], (int)count).ToArray(), null);
        int? axis = n > 1 ? Axis(axisAttribute ?? node.Int("axis", 1), rank) : null;
        return (scales, zeros, axis);
    }

    /// <summary>(codes − zero point) · scale in float32 along <paramref name="axis"/> (one value each: per tensor).</summary>
    private static Tensor Dequantized(Tensor codes, float[] scales, float[] zeros, int axis)
    {
        using var scope = NewDisposeScope();
        long[] shape = scales.Length == 1 ? [] : Enumerable.Range(0, (int)codes.dim()).Select(i => i == axis ? (long)scales.Length : 1L).ToArray();
        var s = tensor(scales).reshape(shape);
        var z = tensor(zeros).reshape(shape);
        return codes.to(ScalarType.Float32).sub(z).mul(s).MoveToOuterDisposeScope();
    }

    /// <summary>Keeps <paramref name="value"/> as a constant named after the node and <paramref name="role"/>; returns the name.</summary>
    private string Temporary(OnnxNode node, string role, Tensor value)
    {
        string name = $"{node.Output()}/{role}";
        Keep(name, value);
        return name;
    }

    /// <summary>Converts a float operator <paramref name="op"/> built from the node's parts (named "node/op"); returns its output blob.</summary>
    private string Inner(OnnxNode node, string op, string[] inputs, string output, IEnumerable<AttributeProto> attributes)
    {
        var proto = new NodeProto { OpType = op, Name = $"{node.Name}/{op.ToLowerInvariant()}" };
        proto.Input.AddRange(inputs);
        proto.Output.Add(output);
        proto.Attribute.AddRange(attributes.Select(a => a.Clone()));
        if (!Dispatch(new OnnxNode(proto, 0)))
            throw Unsupported(node, "");
        return Resolve(output);
    }
}
