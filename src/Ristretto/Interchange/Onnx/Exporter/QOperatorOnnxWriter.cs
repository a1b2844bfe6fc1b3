using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;
using static TorchSharp.torch;
using DataType = Ristretto.Interchange.Onnx.Proto.TensorProto.Types.DataType;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>
/// The QOperator form, for integer-only consumers: a quantized convolution is a QLinearConv on 8-bit codes (int32 bias
/// on the accumulator's grid <c>s_in·s_w</c>), a quantized inner product a MatMulInteger whose int32 sum gets the integer
/// bias and is requantized (Cast, Mul by <c>s_in·s_w</c>, QuantizeLinear; a float output of the last layer stops after
/// the Mul). Codes flow between quantized layers through ReLU (a Clip at the zero point), max pooling, flatten, reshape
/// and dropout (the identity); a change of grid is a DequantizeLinear and QuantizeLinear. Float layers read dequantized
/// codes. Input, weights and output must be 8-bit integer grids (weights per output channel allowed).
/// </summary>
internal sealed class QOperatorOnnxWriter(OnnxGraphBuilder graph, IReadOnlyDictionary<string, long[]> shapes, QuantizationPlan plan)
    : QuantizedOnnxWriter(graph, shapes, plan, "QOperator")
{
    private readonly Dictionary<string, CodeBlob> _codes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _float = new(StringComparer.Ordinal);
    private CodeBlob? _input;        // the codes a code-preserving or quantized layer reads
    private CodeBlob? _output;       // the grid a quantized layer writes (null: float)

    /// <summary>An activation held as codes: the value holding them, their grid and type, its scale and zero-point initializers.</summary>
    private sealed record CodeBlob(string Name, AffineGrid Grid, DataType Type, string Scale, string Zero);

    /// <inheritdoc/>
    protected override void WriteLayer(Layer layer, string[] inputs, string output)
    {
        if (Spec is not null)
        {
            WriteQuantized(layer, inputs[0], output);
            return;
        }
        if (inputs.Length == 1 && _codes.TryGetValue(inputs[0], out var codes) && KeepsCodes(layer))
        {
            _input = codes;
            string name = ShapedLike(Fresh($"{output}/quantized"), output);
            try
            {
                layer.WriteOnnx(this, [codes.Name], name);
            }
            finally
            {
                _input = null;
            }
            _codes[output] = codes with { Name = name };
            return;
        }
        layer.WriteOnnx(this, inputs.Select(Float).ToArray(), output);
        _float.Add(output);
    }

    /// <inheritdoc/>
    public override void Finish(string output) => Float(output);

    /// <summary>Layers that map codes to codes on the same grid (monotone or shape-only).</summary>
    private static bool KeepsCodes(Layer layer) =>
        layer is ReLULayer { NegativeSlope: 0 } or PoolingLayer { PoolMethod: PoolingLayer.Method.Max } or FlattenLayer or ReshapeLayer or DropoutLayer;

    private void WriteQuantized(Layer layer, string input, string output)
    {
        string name = layer.LayerName;
        var (inGrid, inType) = Activation(Spec!.Input, "input", required: true);
        var weights = Spec.Weights ?? throw new RistrettoException($"layer '{name}': its weights are float; the QOperator form needs integer weights");
        var wGrid = Grid(weights, "weights");
        if (wGrid.QMin < -128 || wGrid.QMax > 255 || (wGrid.QMin < 0 && wGrid.QMax > 127))
            throw new RistrettoException($"layer '{name}': its weights ({weights}) do not fit 8 bits; the QOperator form needs int8 or uint8 weights (--qformat qdq or qonnx write wider ones)");
        if (wGrid.Axis is not (null or 0))
            throw new RistrettoException($"layer '{name}': per-channel weights along axis {wGrid.Axis} have no QOperator form (axis 0, the output channels, only)");
        _input = CodesOf(input, Spec.Input!, inGrid!, inType!.Value);
        var (outGrid, outType) = Activation(Spec.Output, "output", required: false);
        _output = outGrid is null ? null : new CodeBlob(Fresh($"{output}/quantized"), outGrid, outType!.Value,
            Scales($"{name}.output_scale", outGrid, []), ZeroPoints($"{name}.output_zero_point", outGrid, [], outType.Value));
        try
        {
            layer.WriteOnnx(this, [_input.Name], output);
        }
        finally
        {
            _input = null;
        }
        if (_output is { } written)
            _codes[output] = written;
        else
            _float.Add(output);
        _output = null;
    }

    /// <summary>An activation format's grid and 8-bit type; null for a float output; anything else one error naming the layer.</summary>
    private (AffineGrid? Grid, DataType? Type) Activation(NumberFormat? format, string part, bool required)
    {
        if (format is null)
            return required ? throw new RistrettoException($"layer '{Current!.LayerName}': its {part} is float; the QOperator form needs integer {part}") : (null, null);
        var grid = Grid(format, part);
        var type = ExactType(grid);
        if (type is not (DataType.Int8 or DataType.Uint8) || grid.Axis is not null)
            throw new RistrettoException($"layer '{Current!.LayerName}': its {part} format ({format}) is not a per-tensor 8-bit grid (int8 [-128, 127] or uint8 [0, 255]); " +
                "the QOperator form needs one (--qformat qdq or qonnx write other widths)");
        return (grid, type);
    }

    /// <summary>Codes of <paramref name="blob"/> on <paramref name="grid"/>: the ones held when their grid is the same, else a QuantizeLinear of the float value.</summary>
    private CodeBlob CodesOf(string blob, NumberFormat format, AffineGrid grid, DataType type)
    {
        if (_codes.TryGetValue(blob, out var held) && SameGrid(held.Grid, grid))
            return held;
        string layer = Current!.LayerName;
        var codes = new CodeBlob(ShapedLike(Fresh($"{blob}/{layer}.input_quantized"), blob), grid, type,
            Scales($"{layer}.input_scale", grid, []), ZeroPoints($"{layer}.input_zero_point", grid, [], type));
        Graph.Node("QuantizeLinear", $"{layer}/input_quantize", [Float(blob), codes.Scale, codes.Zero], codes.Name);
        return codes;
    }

    private static bool SameGrid(AffineGrid a, AffineGrid b) =>
        a.QMin == b.QMin && a.QMax == b.QMax && a.Axis == b.Axis && a.Scales.SequenceEqual(b.Scales) && a.ZeroPoints.SequenceEqual(b.ZeroPoints);

    /// <summary>The float value of <paramref name="blob"/>, dequantizing its codes (once) where it is held as codes.</summary>
    private string Float(string blob)
    {
        if (_codes.TryGetValue(blob, out var codes) && _float.Add(blob))
            Graph.Node("DequantizeLinear", $"{blob}/dequantize", [codes.Name, codes.Scale, codes.Zero], blob);
        return blob;
    }

    /// <inheritdoc/>
    public override string Initializer(string name, Tensor value) =>
        ParameterPart(name) is not null ? name : base.Initializer(name, value); // written by the integer operator itself

    /// <inheritdoc/>
    public override void Node(string op, string name, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        if (_input is not { } codes)
        {
            base.Node(op, name, inputs, output, attributes);
            return;
        }
        switch (op)
        {
            case "Conv" when Spec is not null: WriteQLinearConv(name, inputs[0], output, attributes); break;
            case "Gemm" when Spec is not null: WriteMatMulInteger(name, inputs[0], output); break;
            case "Flatten" or "Reshape" or "MaxPool" or "Identity": base.Node(op, name, inputs, output, attributes); break;
            case "Dropout": base.Node("Identity", name, [inputs[0]], output); break;
            case "Relu":
                base.Node("Clip", name, [inputs[0], CodesInitializer($"{name}.zero_point", [], [codes.Grid.ZeroPoints[0]], codes.Type)], output);
                break;
            default:
                throw new RistrettoException($"layer '{Current!.LayerName}' ({Current.Type}) writes {op}, which has no QOperator form on integer codes");
        }
    }

    private void WriteQLinearConv(string name, string x, string output, (string Name, object Value)[] attributes)
    {
        var layer = (IWeightedLayer)Current!;
        var y = _output ?? throw new RistrettoException($"layer '{name}': its output is float; QLinearConv needs an integer output (quantize it, or use --qformat qdq)");
        var (w, wScale, wZero, wGrid) = WeightCodes(layer.Weight, transpose: false);
        var inputs = new List<string> { x, _input!.Scale, _input.Zero, w, wScale, wZero, y.Scale, y.Zero };
        if (layer.Bias is { } bias)
            inputs.Add(BiasCodes(bias, wGrid));
        Graph.Node("QLinearConv", name, [.. inputs], y.Name, attributes);
    }

    private void WriteMatMulInteger(string name, string a, string output)
    {
        var layer = (IWeightedLayer)Current!;
        var (w, _, wZero, wGrid) = WeightCodes(layer.Weight, transpose: true);
        string acc = Fresh($"{output}/accumulator");
        Graph.Node("MatMulInteger", name, [a, w, _input!.Zero, wZero], acc);
        if (layer.Bias is { } bias)
        {
            string biased = Fresh($"{output}/biased");
            Graph.Node("Add", $"{name}/bias", [acc, BiasCodes(bias, wGrid)], biased);
            acc = biased;
        }
        string cast = Fresh($"{output}/accumulator_float");
        Graph.Node("Cast", $"{name}/cast", [acc], cast, ("to", 1L));
        var steps = AccumulatorSteps(wGrid).Select(s => (float)s).ToArray();
        string scale = Graph.Floats($"{name}.accumulator_scale", [steps.Length], steps);
        if (_output is not { } y)
        {
            Graph.Node("Mul", $"{name}/rescale", [cast, scale], output);
            return;
        }
        string real = Fresh($"{output}/float");
        Graph.Node("Mul", $"{name}/rescale", [cast, scale], real);
        Graph.Node("QuantizeLinear", $"{name}/requantize", [real, y.Scale, y.Zero], y.Name);
    }

    /// <summary>Weight codes (transposed to [K, N] for MatMulInteger) with their scale and zero-point initializers.</summary>
    private (string Codes, string Scale, string Zero, AffineGrid Grid) WeightCodes(Tensor weight, bool transpose)
    {
        string layer = Current!.LayerName;
        var format = Spec!.Weights!;
        var grid = Grid(format, "weights");
        var type = Container(grid);
        long[] codes = Codes(weight, format, grid);
        long[] shape = weight.shape;
        if (transpose)
        {
            long n = shape[0], k = shape[1];
            var t = new long[codes.Length];
            for (long i = 0; i < n; i++)
                for (long j = 0; j < k; j++)
                    t[j * n + i] = codes[i * k + j];
            codes = t;
            shape = [k, n];
        }
        long[] channels = [grid.Scales.Count];
        return (CodesInitializer($"{layer}.weight_quantized", shape, codes, type), Scales($"{layer}.weight_scale", grid, channels),
            ZeroPoints($"{layer}.weight_zero_point", grid, channels, type), grid);
    }

    /// <summary>The accumulator's step per output channel, <c>s_in · s_w[c]</c>.</summary>
    private IEnumerable<double> AccumulatorSteps(AffineGrid weights)
    {
        double input = _input!.Grid.Scales[0];
        return weights.Scales.Select(s => input * s);
    }

    /// <summary>The bias (trimmed to its format where it has one) as int32 codes on the accumulator's grid, rounded half to even.</summary>
    private string BiasCodes(Tensor bias, AffineGrid weights)
    {
        string layer = Current!.LayerName;
        using var scope = NewDisposeScope();
        var b = bias.detach().to(CPU).to(ScalarType.Float32);
        var values = (Spec!.Bias is { } f ? f.Trim(b) : b).contiguous().data<float>().ToArray();
        var steps = AccumulatorSteps(weights).ToArray();
        var codes = values.Select((v, c) => (long)Math.Round(v / steps[steps.Length == 1 ? 0 : c], MidpointRounding.ToEven)).ToArray();
        if (codes.Any(c => c < int.MinValue || c > int.MaxValue))
            throw new RistrettoException($"layer '{layer}': its bias does not fit int32 on the accumulator's grid s_in·s_w");
        return CodesInitializer($"{layer}.bias_quantized", [codes.Length], codes, DataType.Int32);
    }
}
