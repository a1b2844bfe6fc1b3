using System.Numerics;
using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Deploy;

/// <summary>
/// Runs a network under a plan the way an integer accelerator would: activations and weights held as integer codes,
/// each quantized layer an exact integer multiply-accumulate followed by requantization with a fixed-point multiplier
/// and shift per output channel (a pure shift for dynamic fixed point and power-of-two scales), the bias added on the
/// product's grid, round half to even (as the simulation rounds) and saturation. Between quantized layers, ReLU, max and
/// average pooling, concat, eltwise sums, flatten and reshape work on integers (a sum or an average's numerator is held
/// exactly and rescaled once, at the next quantized layer's input). Layers after the last quantized output run in float
/// on the dequantized values.
/// </summary>
/// <remarks>
/// Plans: dynamic fixed point, integer formats (per-tensor or per-channel weights, symmetric or asymmetric, float,
/// fixed-point or power-of-two scales) and power-of-two weights, with nearest rounding. A float layer between two
/// quantized layers, a format without an integer grid (minifloat, binary/ternary α), a quantized LRN or stochastic
/// rounding is one error naming the layer — never a silent float fallback. <see cref="Arithmetic"/> says, before any
/// image, which layers' accumulators can overflow int32. The results equal the simulation's exact mode
/// (<see cref="QuantizedNetwork"/> with <c>exact</c>) bit for bit; see docs/deploy.md.
/// </remarks>
public sealed class IntegerEngine : nn.Module<Tensor, Tensor>
{
    /// <summary>
    /// Bits of a requantization multiplier by default: 62, and a product that lands within the multiplier's error of a
    /// halfway point is settled exactly, so the rescale is the real one (TFLite/gemmlowp use 31 bits and no settling).
    /// </summary>
    public const int DefaultMultiplierBits = 62;

    private readonly Network _network;
    private readonly Dictionary<string, IntegerLayer> _layers = new(StringComparer.Ordinal);
    private readonly int _multiplierBits;
    private readonly int _lastQuantized;

    /// <summary>Checks that <paramref name="plan"/> on <paramref name="network"/> is one the engine computes; one error line naming the layer otherwise.</summary>
    /// <param name="network">The float network.</param>
    /// <param name="plan">The plan.</param>
    /// <param name="multiplierBits">Bits of each requantization multiplier, 2 to 62 (31: an int32 multiplier, as TFLite).</param>
    public IntegerEngine(Network network, QuantizationPlan plan, int multiplierBits = DefaultMultiplierBits) : base((network?.Name ?? "network") + "-integer")
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        ArgumentNullException.ThrowIfNull(plan);
        if (multiplierBits is < 2 or > 62)
            throw new RistrettoException($"multiplier bits must be 2 to 62, got {multiplierBits}");
        _multiplierBits = multiplierBits;
        var nodes = network.Nodes;
        int first = -1;
        _lastQuantized = -1;
        try
        {
            for (int i = 0; i < nodes.Count; i++)
            {
                var layer = nodes[i].Layer;
                if (!plan.Layers.TryGetValue(layer.LayerName, out var spec) || spec.IsFloat)
                    continue;
                _layers[layer.LayerName] = new IntegerLayer(layer, spec, multiplierBits);
                if (first < 0)
                    first = i;
                _lastQuantized = i;
            }
            if (first < 0)
                throw new RistrettoException("the plan quantizes no layer; nothing for the integer engine to run");
            for (int i = first; i < _lastQuantized; i++)
            {
                var layer = nodes[i].Layer;
                if (_layers.TryGetValue(layer.LayerName, out var quantized))
                {
                    if (quantized.Output is null)
                        throw new RistrettoException($"layer '{layer.LayerName}': its output is float but quantized layers follow; the integer engine needs an integer output format");
                    continue;
                }
                if (!RunsOnIntegers(layer))
                    throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}{Detail(layer)}) runs in float between two quantized layers; the integer engine cannot run it (quantize it, or end the plan before it)");
            }
        }
        catch
        {
            DisposeLayers();
            throw;
        }
        Arithmetic = nodes.Where(n => _layers.ContainsKey(n.Layer.LayerName)).Select(n => _layers[n.Layer.LayerName].Arithmetic).ToList();
    }

    /// <summary>Each quantized layer's accumulator width and requantization, in network order (known before any image).</summary>
    public IReadOnlyList<LayerArithmetic> Arithmetic { get; }

    /// <summary>The largest |accumulator| (without the bias) of the last <see cref="Forward(Tensor)"/>.</summary>
    public double MaxAccumulatorMagnitude { get; private set; }

    /// <summary>The network's output for <paramref name="input"/> (float32, as the simulation returns it).</summary>
    public override Tensor forward(Tensor input) => Forward(input);

    /// <summary>The network's output for <paramref name="input"/> (float32, as the simulation returns it).</summary>
    public Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>As <see cref="Forward(Tensor)"/>, showing <paramref name="observe"/> every blob's value (dequantized, float32) as it is produced.</summary>
    internal Tensor Forward(Tensor input, Action<string, Tensor>? observe)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var values = new Dictionary<string, Value>(StringComparer.Ordinal) { [_network.Inputs[0].Name] = new(input, null) };
        var nodes = _network.Nodes;
        double maxAcc = 0;
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var layer = node.Layer;
            var inputs = node.Inputs.Select(b => values[b]).ToArray();
            if (_layers.TryGetValue(layer.LayerName, out var quantized))
            {
                var codes = quantized.Run(OnGrid(inputs[0], quantized));
                maxAcc = Math.Max(maxAcc, quantized.LastMaxAccumulator);
                values[node.Outputs[0]] = new(codes, quantized.Output);
            }
            else if (i < _lastQuantized && inputs.Any(v => v.Grid is not null))
            {
                values[node.Outputs[0]] = OnCodes(layer, inputs);
            }
            else
            {
                var outputs = layer.forward(inputs.Select(v => v.Float()).ToArray());
                for (int k = 0; k < node.Outputs.Count; k++)
                    values[node.Outputs[k]] = new(outputs[k], null);
            }
            if (observe is not null)
                foreach (string blob in node.Outputs)
                    observe(blob, values[blob].Float());
        }
        MaxAccumulatorMagnitude = maxAcc;
        return values[_network.Outputs[0]].Float().MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            DisposeLayers();
        base.Dispose(disposing);
    }

    private void DisposeLayers()
    {
        foreach (var layer in _layers.Values)
            layer.Dispose();
        _layers.Clear();
    }

    private static bool RunsOnIntegers(Layer layer) => layer switch
    {
        ReLULayer relu => relu.NegativeSlope == 0,
        PoolingLayer pool => pool.PoolMethod is PoolingLayer.Method.Max or PoolingLayer.Method.Average,
        EltwiseLayer eltwise => eltwise.Op == EltwiseLayer.Operation.Sum && eltwise.Coefficients.All(c => c == Math.Round(c) && Math.Abs(c) <= 1 << 16),
        ConcatLayer or FlattenLayer or ReshapeLayer or DropoutLayer => true,
        _ => false,
    };

    private static string Detail(Layer layer) => layer switch
    {
        EltwiseLayer e when e.Op != EltwiseLayer.Operation.Sum => $" {e.Op}",
        EltwiseLayer => " with a coefficient that is not an integer",
        PoolingLayer p => $" {p.PoolMethod}",
        ReLULayer => " with a negative slope",
        _ => "",
    };

    /// <summary>Codes on <paramref name="layer"/>'s input grid: a float value quantized, codes on that grid as they are, others rescaled.</summary>
    private Tensor OnGrid(Value x, IntegerLayer layer)
    {
        if (x.Grid is not { } from)
            return ExactTrim.Codes(x.Codes, layer.InputAffine);
        if (from == layer.Input)
            return x.Codes;
        return Rescale(from, layer.Input).Apply(x.Codes.to(ScalarType.Float64).Minus((double)from.Zero));
    }

    /// <summary>The per-tensor requantization from one grid to another (offsets from <paramref name="from"/>'s zero in, codes out).</summary>
    private Requantizer Rescale(CodeGrid from, CodeGrid to)
    {
        var (fNum, fDen) = from.StepRational;
        var (tNum, tDen) = to.StepRational;
        var m = FixedPointMultiplier.Of(fNum * tDen, fDen * tNum, _multiplierBits);
        return new Requantizer([m], [Int128.Zero], to.Zero, to.Min, to.Max,
            _multiplierBits == DefaultMultiplierBits ? [new Rational(fNum * tDen, fDen * tNum, BigInteger.Zero, BigInteger.One, false)] : null);
    }

    /// <summary>A layer between quantized layers, on integers.</summary>
    private static Value OnCodes(Layer layer, Value[] inputs)
    {
        if (inputs.Any(v => v.Grid is null))
            throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) mixes float and integer inputs; the integer engine cannot run it");
        var x = inputs[0];
        var grid = x.Grid!;
        switch (layer)
        {
            case ReLULayer:
                return new(x.Codes.AtLeast((double)grid.Zero), grid);
            case DropoutLayer:
                return new(x.Codes.alias(), grid);
            case PoolingLayer { PoolMethod: PoolingLayer.Method.Average } pool:
            {
                long divisor = AverageDivisor(pool, x.Codes);
                var sums = layer.forward([x.Codes.to(ScalarType.Float64).Minus((double)grid.Zero)])[0].Times(divisor).round();
                return new(sums, CodeGrid.Wide(grid.Mantissa, grid.Exponent, checked(grid.Divisor * divisor)));
            }
            case ConcatLayer when inputs.All(v => v.Grid == grid):
                return new(layer.forward(inputs.Select(v => v.Codes).ToArray())[0], grid);
            case ConcatLayer:
            {
                var (parts, common) = Common(layer, inputs, null);
                return new(layer.forward(parts)[0], common);
            }
            case EltwiseLayer eltwise:
            {
                var (parts, common) = Common(layer, inputs, eltwise.Coefficients);
                var sum = parts[0];
                for (int k = 1; k < parts.Length; k++)
                    sum = sum.Plus(parts[k]);
                CheckExact(layer, sum);
                return new(sum, common);
            }
            default: // max pooling, flatten, reshape: the codes move, the grid stays
                return new(layer.forward([x.Codes])[0], grid);
        }
    }

    /// <summary>The inputs as integers on one grid (the finest power of two, the common divisor), times their coefficients.</summary>
    private static (Tensor[] Parts, CodeGrid Grid) Common(Layer layer, Value[] inputs, IReadOnlyList<double>? coefficients)
    {
        int exponent = inputs.Min(v => v.Grid!.Exponent);
        long divisor = inputs.Aggregate(1L, (d, v) => checked(d / (long)BigInteger.GreatestCommonDivisor(d, v.Grid!.Divisor) * v.Grid!.Divisor));
        var parts = new Tensor[inputs.Length];
        for (int k = 0; k < inputs.Length; k++)
        {
            var g = inputs[k].Grid!;
            double coefficient = coefficients is { Count: > 0 } ? coefficients[k] : 1;
            double factor = coefficient * g.Mantissa * Math.ScaleB(1.0, g.Exponent - exponent) * (divisor / g.Divisor);
            if (Math.Abs(factor) >= Math.ScaleB(1.0, 53))
                throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}): its inputs' steps are too far apart for exact integer arithmetic");
            parts[k] = inputs[k].Codes.to(ScalarType.Float64).Minus((double)g.Zero).Times(factor);
            CheckExact(layer, parts[k]);
        }
        return (parts, CodeGrid.Wide(1, exponent, divisor));
    }

    private static void CheckExact(Layer layer, Tensor integers)
    {
        if (integers.abs().max().item<double>() >= Math.ScaleB(1.0, 53))
            throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}): a sum reaches 2^53; the integer engine cannot hold it exactly");
    }

    /// <summary>The one divisor of an average pooling whose windows are all whole (global, or unpadded windows that tile the input).</summary>
    private static long AverageDivisor(PoolingLayer pool, Tensor x)
    {
        long h = x.shape[^2], w = x.shape[^1];
        if (pool.Global)
            return h * w;
        var (kh, kw) = pool.Kernel;
        var (sh, sw) = pool.Stride;
        if (pool.Pad == (0, 0) && kh <= h && kw <= w && (h - kh) % sh == 0 && (w - kw) % sw == 0)
            return kh * kw;
        throw new RistrettoException($"layer '{pool.LayerName}' (Pooling Average): windows cut by padding or the border have divisors of their own; the integer engine averages whole windows only (global, or unpadded windows that tile the input)");
    }

    /// <summary>A blob: integer codes on a grid, or a float tensor (Grid null).</summary>
    private sealed record Value(Tensor Codes, CodeGrid? Grid)
    {
        public Tensor Float()
        {
            if (Grid is not { } g)
                return Codes;
            var v = Codes.to(ScalarType.Float64).Minus((double)g.Zero).Times(Math.ScaleB(g.Mantissa, g.Exponent));
            return (g.Divisor == 1 ? v : v.Over(g.Divisor)).to(ScalarType.Float32);
        }
    }
}
