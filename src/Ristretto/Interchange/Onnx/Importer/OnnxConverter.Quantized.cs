using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Interchange.Onnx.Proto;
using Ristretto.Layers;
using Ristretto.Quantization;
using static TorchSharp.torch;
using DataType = Ristretto.Interchange.Onnx.Proto.TensorProto.Types.DataType;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>
/// Quantized ONNX on import: QDQ (QuantizeLinear → DequantizeLinear pairs on activations, DequantizeLinear on integer
/// weights and biases, as ONNX Runtime's quantizer writes them) and QONNX (<c>Quant</c>/<c>BipolarQuant</c> on weights and
/// activations) become a float network plus a plan. A quantize-dequantize on a tensor becomes the output format of the
/// convolution or inner product that produces it and the input format of those that read it (through ReLU, max pooling,
/// padding, flatten, reshape and dropout, which keep values on the grid); on constant weights and biases it is their
/// format, and the weights are imported dequantized. A quantization no plan can hold (one before an addition, say) is
/// one error naming the node.
/// </summary>
internal sealed partial class OnnxConverter
{
    /// <summary>QONNX's custom-op domains (the current one and FINN's older name).</summary>
    private static readonly HashSet<string> QonnxDomains = new(StringComparer.Ordinal) { "qonnx.custom_op.general", "finn.custom_op.general", "finn" };

    private readonly Dictionary<string, DataType> _constTypes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxQuantGrid> _constGrids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Blob, OnnxQuantGrid Grid)> _quantized = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Specs> _specs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Layer> _weighted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Layer> _weightedLayers = new(StringComparer.Ordinal);
    private Dictionary<string, int> _consumers = new(StringComparer.Ordinal);
    private Dictionary<string, List<string>> _consumerOps = new(StringComparer.Ordinal);
    private OnnxNode? _node;

    /// <summary>
    /// A tensor's quantization waiting for the layers that read it. <see cref="Absorbed"/>: its producer's output format
    /// holds it; <see cref="Explicit"/>: the graph quantizes this very tensor again (a reader's own input quantization),
    /// rather than it being inherited through layers that keep the grid.
    /// </summary>
    private sealed record Pending(OnnxQuantGrid Grid, bool Absorbed, bool Explicit);

    /// <summary>The grids of a quantized layer, filled as the graph is read.</summary>
    private sealed class Specs
    {
        public NumberFormat? Weights, Bias;
        public OnnxQuantGrid? Input, Output;
    }

    /// <summary>Reads the element types of constants and who reads each value, before the nodes are converted.</summary>
    private void ScanQuantization(GraphProto graph)
    {
        foreach (var init in graph.Initializer)
            _constTypes[init.Name] = (DataType)init.DataType;
        foreach (var node in graph.Node)
            if (node.OpType == "Constant" && node.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } t)
                _constTypes[node.Output.FirstOrDefault() ?? ""] = (DataType)t.DataType;
        _consumers = graph.Node.SelectMany(n => n.Input).GroupBy(n => n, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        _consumerOps = graph.Node.SelectMany(n => n.Input.Select(i => (i, n.OpType))).GroupBy(p => p.i, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(p => p.OpType).ToList(), StringComparer.Ordinal);
        foreach (var output in graph.Output)
            _consumers[output.Name] = _consumers.GetValueOrDefault(output.Name) + 1;
    }

    /// <summary>Handles a quantization operator; false for any other node.</summary>
    private bool ConvertQuantization(OnnxNode node)
    {
        bool qonnx = QonnxDomains.Contains(node.Proto.Domain);
        if (qonnx && node.Op is not ("Quant" or "BipolarQuant"))
            throw Unsupported(node, $" from domain '{node.Proto.Domain}'");
        if (!qonnx && node.Op is not ("QuantizeLinear" or "DequantizeLinear"))
            return node.Proto.Domain is "" or "ai.onnx" && ConvertIntegerOperator(node);
        string x = node.Input(0) ?? throw new RistrettoException("input x is missing");
        bool constant = IsConstant(x);
        switch (node.Op)
        {
            case "DequantizeLinear" when constant:
            {
                var grid = LinearGrid(node, ElementType(x, "x"), Constant(node, x, "x").dim());
                using var scope = NewDisposeScope();
                var codes = Constant(node, x, "x").to(ScalarType.Float32);
                CheckCodes(codes, grid, "x");
                Keep(node.Output(), Dequantize(codes, grid, codes.dim()).MoveToOuterDisposeScope());
                _constGrids[node.Output()] = grid;
                return true;
            }
            case "DequantizeLinear":
            {
                if (!_quantized.TryGetValue(Resolve(x), out var q))
                {
                    // Codes computed at run time (a model input, an integer operator's output): a dequantizing layer.
                    DequantizeRuntime(node, x, node.Input(1), node.Input(2), "x", node.Output());
                    return true;
                }
                var (blob, _) = Runtime(q.Blob);
                var grid = LinearGrid(node, ElementType(node.Input(0)!, "x", q.Grid), Runtime(q.Blob).Shape.Length);
                if (!grid.SameGrid(q.Grid))
                    throw new RistrettoException("its scale or zero point differs from its QuantizeLinear's; a quantize-dequantize pair must share them");
                _alias[node.Output()] = blob;
                Attach(blob, grid);
                return true;
            }
            case "QuantizeLinear":
            {
                var (blob, shape) = Runtime(x, "input x");
                var type = node.Input(2) is { } z ? ElementType(z, "y_zero_point") : DataType.Uint8;
                var grid = LinearGrid(node, type, shape.Length);
                var readers = _consumerOps.GetValueOrDefault(node.Output()) ?? [];
                if (readers.Count == 0 || readers.Any(op => op != "DequantizeLinear"))
                {
                    // Codes read as such (a model output, an integer operator): a quantizing layer.
                    QuantizeRuntime(node, blob, node.Input(1), node.Input(2), node.Output());
                    return true;
                }
                _quantized[node.Output()] = (blob, grid);
                return true;
            }
            default: // Quant, BipolarQuant
            {
                long rank = constant ? Constant(node, x, "x").dim() : Runtime(x, "input x").Shape.Length;
                var grid = node.Op == "Quant" ? QuantGrid(node, rank) : BipolarGrid(node);
                var format = grid.ToFormat() ?? throw new RistrettoException($"{grid.Bits}-bit codes are wider than a plan holds ({OnnxQuantGrid.MaxBits} bits)");
                if (constant)
                {
                    using var scope = NewDisposeScope();
                    Keep(node.Output(), format.Trim(Constant(node, x, "x").to(ScalarType.Float32)).MoveToOuterDisposeScope());
                    _constGrids[node.Output()] = grid;
                    return true;
                }
                var (blob, _) = Runtime(x, "input x");
                _alias[node.Output()] = blob;
                Attach(blob, grid);
                return true;
            }
        }
    }

    /// <summary>A quantize-dequantize on runtime blob <paramref name="blob"/>: its producer's output format, and the input format of its readers.</summary>
    private void Attach(string blob, OnnxQuantGrid grid)
    {
        if (_pending.TryGetValue(blob, out var held) && held.Grid.SameGrid(grid))
        {
            _pending[blob] = held with { Explicit = true };
            return;
        }
        bool absorbed = false;
        if (_producer.TryGetValue(blob, out var layer))
        {
            if (!_specs.TryGetValue(layer, out var specs))
            {
                specs = _specs[layer] = new Specs();
                _weighted[layer] = _weightedLayers[layer];
            }
            if (specs.Output is null)
            {
                specs.Output = grid;
                absorbed = true;
            }
        }
        _pending[blob] = new Pending(grid, absorbed, Explicit: !absorbed);
    }

    /// <summary>
    /// Called for each layer added while converting a node: a convolution or inner product takes its input's quantization
    /// and its weights' and bias's formats; a layer that keeps values on the grid passes the quantization on; any other
    /// layer reading a quantization that no producer holds is refused.
    /// </summary>
    private void TrackQuantization(Layer layer, string[] inputs, string[] outputs)
    {
        if (_node is not { } node)
            return;
        if (layer is IWeightedLayer)
        {
            _producer[outputs[0]] = layer.LayerName;
            _weightedLayers[layer.LayerName] = layer;
            // An input quantization the producer's output already holds is the reader's only where the graph repeats it.
            var specs = new Specs { Input = _pending.TryGetValue(inputs[0], out var p) && (p.Explicit || !p.Absorbed) ? p.Grid : null };
            bool transposed = node.Op == "MatMul" || (node.Op == "Gemm" && node.Int("transB", 0) == 0);
            if (node.Input(1) is { } w && _constGrids.TryGetValue(Resolve(w), out var wg))
            {
                if (node.Op == "Gemm" && node.Float("alpha", 1f) != 1f)
                    throw new RistrettoException("alpha ≠ 1 scales quantized weights off their grid; this version imports alpha 1 only");
                if (transposed && wg.Axis == 0 && wg.Scales.Length > 1)
                    throw new RistrettoException("its weights are quantized per input feature (axis 0 of B); a plan holds per-output-channel weights only");
                specs.Weights = wg.ToFormat(transposed && wg.Axis == 1 ? 0 : wg.Axis);
            }
            if (node.Op != "MatMul" && node.Input(2) is { } b && _constGrids.TryGetValue(Resolve(b), out var bg))
            {
                if (node.Op == "Gemm" && node.Float("beta", 1f) != 1f)
                    throw new RistrettoException("beta ≠ 1 scales a quantized bias off its grid; this version imports beta 1 only");
                specs.Bias = bg.ToFormat(0);
            }
            if (specs.Weights is not null || specs.Bias is not null || specs.Input is not null)
            {
                _specs[layer.LayerName] = specs;
                _weighted[layer.LayerName] = layer;
            }
            return;
        }
        var reading = inputs.Where(_pending.ContainsKey).ToList();
        if (reading.Count == 0)
            return;
        bool keeps = inputs.Length == 1 && outputs.Length == 1
            && layer is ReLULayer { NegativeSlope: 0 } or PoolingLayer { PoolMethod: PoolingLayer.Method.Max } or FlattenLayer or ReshapeLayer or DropoutLayer or PadLayer;
        // Shape-only layers pass on whether the quantization was the reader's own; value layers (ReLU, pooling, padding) do not.
        if (keeps)
            _pending[outputs[0]] = _pending[inputs[0]] with { Explicit = _pending[inputs[0]].Explicit && layer is FlattenLayer or ReshapeLayer or DropoutLayer };
        else if (reading.Select(b => _pending[b]).FirstOrDefault(p => !p.Absorbed) is not null)
            throw new RistrettoException($"'{reading[0]}' is quantized before a {layer.Type} layer, which a plan cannot hold (plans quantize the inputs and outputs of convolutions and inner products)");
    }

    /// <summary>Wraps every layer with quantized parts in a <see cref="QuantizedLayer"/> (formats the model's embedded plan names win where they are the same grid).</summary>
    private void ApplyQuantization(QuantizationPlan? embedded)
    {
        foreach (var (name, s) in _specs)
        {
            var hint = embedded?.Layers.GetValueOrDefault(name);
            var spec = new LayerQuantization(
                Prefer(hint?.Weights, s.Weights, stored: true), Prefer(hint?.Bias, s.Bias, stored: true),
                Prefer(hint?.Input, s.Input), Prefer(hint?.Output, s.Output));
            if (spec.IsFloat)
                continue;
            _builder.Replace(name, QuantizedLayers.Create(_weighted[name], spec, owns: true));
        }
    }

    private static NumberFormat? Prefer(NumberFormat? hint, NumberFormat? format, bool stored) =>
        format is null ? null : hint is not null && SameGrid(hint, format, stored) ? hint : format;

    private static NumberFormat? Prefer(NumberFormat? hint, OnnxQuantGrid? grid) =>
        grid is null ? null : hint is not null && grid.Matches(hint, stored: false) ? hint : grid.ToFormat();

    private static bool SameGrid(NumberFormat a, NumberFormat b, bool stored)
    {
        if (a.BipolarScale is { } x)
            return b.BipolarScale == x;
        if (a.Affine is not { } ga || b.Affine is not { } gb || ga.Scales.Count != gb.Scales.Count)
            return false;
        for (int c = 0; c < ga.Scales.Count; c++)
            if (ga.Scales[c] != gb.Scales[c] || ga.ZeroPoints[c] != gb.ZeroPoints[c])
                return false;
        return stored ? ga.QMin >= gb.QMin && ga.QMax <= gb.QMax : ga.QMin == gb.QMin && ga.QMax == gb.QMax;
    }

    /// <summary>The element type of constant <paramref name="name"/> (the codes of a QDQ), or the pair's when it is its QuantizeLinear's output.</summary>
    private DataType ElementType(string name, string what, OnnxQuantGrid? fromPair = null)
    {
        if (_constTypes.TryGetValue(Resolve(name), out var type))
            return type;
        if (fromPair is { } g)
            return (g.Bits, g.Signed) switch
            {
                (8, true) => DataType.Int8, (8, false) => DataType.Uint8, (16, true) => DataType.Int16, (16, false) => DataType.Uint16,
                (4, true) => DataType.Int4, (4, false) => DataType.Uint4, _ => DataType.Int32,
            };
        throw new RistrettoException($"{what} '{name}' must be an initializer or a Constant (its element type gives the codes' range)");
    }

    /// <summary>The grid of a QuantizeLinear/DequantizeLinear whose codes are <paramref name="type"/>, on a tensor of rank <paramref name="rank"/>.</summary>
    private OnnxQuantGrid LinearGrid(OnnxNode node, DataType type, long rank)
    {
        var (bits, signed) = type switch
        {
            DataType.Int8 => (8, true), DataType.Uint8 => (8, false), DataType.Int16 => (16, true), DataType.Uint16 => (16, false),
            DataType.Int4 => (4, true), DataType.Uint4 => (4, false), DataType.Int32 => (32, true),
            _ => throw new RistrettoException($"integer codes of type {type} are not supported (int8, uint8, int16, uint16, int4, uint4, int32)"),
        };
        Require(node.Int("block_size", 0) == 0, "blocked quantization (block_size) is not supported");
        var scales = Floats(node, node.Input(1), "scale");
        var zeros = node.Input(2) is { } z ? Integers(node, z, "zero point") : new int[scales.Length];
        Require(zeros.Length == scales.Length, $"{scales.Length} scales but {zeros.Length} zero points");
        int? axis = null;
        if (Constant(node, node.Input(1), "scale").dim() == 1 && scales.Length >= 1 && (scales.Length > 1 || node.Has("axis")))
            axis = Axis(node.Int("axis", 1), rank);
        var grid = new OnnxQuantGrid(bits, signed, false, scales, zeros, scales.Length > 1 ? axis : null);
        CheckZeros(grid);
        return grid;
    }

    /// <summary>The grid of a QONNX Quant node on a tensor of rank <paramref name="rank"/>.</summary>
    private OnnxQuantGrid QuantGrid(OnnxNode node, long rank)
    {
        string rounding = node.Proto.Attribute.FirstOrDefault(a => a.Name == "rounding_mode")?.S.ToStringUtf8() ?? "ROUND";
        Require(rounding is "ROUND" or "HALF_EVEN", $"rounding_mode {rounding} is not supported (ROUND: half to even)");
        double width = ConstantScalar(node, node.Input(3), "bitwidth");
        Require(width == Math.Floor(width) && width >= 1 && width <= 32, $"bitwidth must be a whole number of bits from 1 to 32, got {width}");
        bool signed = node.Int("signed", 1) != 0, narrow = node.Int("narrow", 0) != 0;
        Require(!(narrow && !signed), "narrow unsigned codes are not supported");
        Require(width >= 2 || !signed, "a signed 1-bit Quant is not supported (BipolarQuant is the ±scale quantizer)");
        var scaleTensor = Constant(node, node.Input(1), "scale");
        var zeroTensor = Constant(node, node.Input(2), "zeropt");
        var scales = Floats(node, node.Input(1), "scale");
        var zerosF = Floats(node, node.Input(2), "zeropt");
        Require(zerosF.All(z => z == Math.Floor(z)), "zeropt must hold whole numbers (an integer zero point)");
        int? axis = ChannelAxis(scaleTensor.shape, rank, "scale");
        if (zerosF.Length > 1)
        {
            Require(zerosF.Length == scales.Length && ChannelAxis(zeroTensor.shape, rank, "zeropt") == axis, "zeropt must be one value or one per channel of the scale");
        }
        var zeros = zerosF.Length == 1 ? Enumerable.Repeat((int)zerosF[0], scales.Length).ToArray() : zerosF.Select(z => (int)z).ToArray();
        var grid = new OnnxQuantGrid((int)width, signed, narrow, scales, zeros, scales.Length > 1 ? axis : null);
        CheckZeros(grid);
        return grid;
    }

    private OnnxQuantGrid BipolarGrid(OnnxNode node)
    {
        var scales = Floats(node, node.Input(1), "scale");
        Require(scales.Length == 1, "a per-channel BipolarQuant scale is not supported");
        return new OnnxQuantGrid(1, true, false, scales, [0], null, Bipolar: true);
    }

    /// <summary>The axis along which a broadcast parameter of <paramref name="shape"/> varies on a tensor of rank <paramref name="rank"/> (null: one value).</summary>
    private static int? ChannelAxis(long[] shape, long rank, string what)
    {
        var varying = shape.Select((d, i) => (d, i)).Where(p => p.d > 1).ToList();
        Require(varying.Count <= 1 && shape.Length <= rank, $"{what} [{string.Join("×", shape)}] must be one value or vary along one axis");
        return varying.Count == 0 ? null : (int)(rank - shape.Length + varying[0].i);
    }

    private float[] Floats(OnnxNode node, string? name, string what)
    {
        var t = Constant(node, name, what);
        using var scope = NewDisposeScope();
        var values = t.to(ScalarType.Float32).flatten().data<float>().ToArray();
        Require(values.Length >= 1, $"{what} '{name}' is empty");
        if (what == "scale")
            Require(values.All(s => float.IsNormal(s) && s > 0), $"{what} '{name}' must hold positive normal float32 values");
        return values;
    }

    private int[] Integers(OnnxNode node, string name, string what)
    {
        var t = Constant(node, name, what);
        using var scope = NewDisposeScope();
        return t.to(ScalarType.Int64).flatten().data<long>().Select(v => (int)Math.Clamp(v, int.MinValue, int.MaxValue)).ToArray();
    }

    private static void CheckZeros(OnnxQuantGrid grid)
    {
        var (min, max) = grid.Range;
        Require(grid.Zeros.All(z => z >= min && z <= max), $"zero points must be codes in [{min}, {max}]");
    }

    private static void CheckCodes(Tensor codes, OnnxQuantGrid grid, string what)
    {
        var (min, max) = grid.Range;
        if (codes.numel() == 0)
            return;
        Require(codes.min().item<float>() >= min && codes.max().item<float>() <= max, $"{what} holds codes outside [{min}, {max}]");
    }

    /// <summary>(codes − zero point) · scale in float32, per channel along the grid's axis.</summary>
    private static Tensor Dequantize(Tensor codes, OnnxQuantGrid grid, long rank)
    {
        long[] shape = grid.Axis is int a ? Enumerable.Range(0, (int)rank).Select(i => i == a ? (long)grid.Scales.Length : 1L).ToArray() : [];
        using var scales = tensor(grid.Scales).reshape(shape);
        using var zeros = tensor(grid.Zeros.Select(z => (float)z).ToArray()).reshape(shape);
        return codes.sub(zeros).mul(scales);
    }
}
