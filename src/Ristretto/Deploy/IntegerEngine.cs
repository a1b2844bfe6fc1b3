using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Deploy;

/// <summary>
/// Runs a network under a plan the way an integer accelerator would: activations and weights held as integer codes,
/// each quantized layer an integer multiply-accumulate (exact; the accumulator's width is checked against int32),
/// an integer bias on the accumulator's grid, and requantization by a rounding shift (half to even, as the simulation
/// rounds) with saturation; ReLU, max pooling, flatten and reshape work on the codes. Layers after the last quantized
/// output (a softmax) run in float on the dequantized values.
/// </summary>
/// <remarks>
/// This first engine covers plans whose steps are powers of two: dynamic fixed point, and integer formats with a
/// power-of-two scale and zero points (per-channel weights allowed), with nearest rounding. A float layer between two
/// quantized layers, another format, or stochastic rounding is one error naming the layer — never a silent float
/// fallback. The codes are held in float64 tensors, which represent every integer below 2^53 exactly, so libtorch's
/// float64 convolution computes the exact integer sums; <see cref="MaxAccumulatorMagnitude"/> reports the widest sum
/// seen so a caller can check it fits int32.
/// </remarks>
public sealed class IntegerEngine : nn.Module<Tensor, Tensor>
{
    private readonly Network _network;
    private readonly QuantizationPlan _plan;
    private readonly int _lastQuantized;

    /// <summary>Checks that <paramref name="plan"/> on <paramref name="network"/> is one the engine computes; one error line naming the layer otherwise.</summary>
    public IntegerEngine(Network network, QuantizationPlan plan) : base((network?.Name ?? "network") + "-integer")
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _plan = plan ?? throw new ArgumentNullException(nameof(plan));
        var nodes = network.Nodes;
        int first = -1;
        _lastQuantized = -1;
        for (int i = 0; i < nodes.Count; i++)
        {
            if (!Planned(nodes[i].Layer.LayerName, out var spec))
                continue;
            if (nodes[i].Layer is not IWeightedLayer)
                throw new RistrettoException($"layer '{nodes[i].Layer.LayerName}' ({nodes[i].Layer.Type}): the integer engine runs quantized convolutions and inner products only");
            if (spec.Rounding != Rounding.Nearest)
                throw new RistrettoException($"layer '{nodes[i].Layer.LayerName}': the integer engine rounds to nearest; the plan asks for {spec.Rounding} rounding");
            foreach (var (part, format) in new[] { ("input", spec.Input), ("weights", spec.Weights), ("output", spec.Output) })
                GridOf(format, nodes[i].Layer.LayerName, part, allowChannels: part == "weights");
            if (first < 0)
                first = i;
            _lastQuantized = i;
        }
        if (first < 0)
            throw new RistrettoException("the plan quantizes no layer; nothing for the integer engine to run");
        for (int i = first; i < _lastQuantized; i++)
        {
            var layer = nodes[i].Layer;
            if (Planned(layer.LayerName, out _))
                continue;
            if (layer is not (ReLULayer { NegativeSlope: 0 } or PoolingLayer { PoolMethod: PoolingLayer.Method.Max } or FlattenLayer or ReshapeLayer or DropoutLayer))
                throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) runs in float between two quantized layers; the integer engine cannot run it (quantize it, or end the plan before it)");
        }
    }

    /// <summary>The largest |accumulator| of the last <see cref="Forward"/> (int32 holds up to 2^31 − 1).</summary>
    public double MaxAccumulatorMagnitude { get; private set; }

    /// <summary>The network's output for <paramref name="input"/> (float32, as the simulation returns it).</summary>
    public override Tensor forward(Tensor input) => Forward(input);

    /// <summary>The network's output for <paramref name="input"/> (float32, as the simulation returns it).</summary>
    public Tensor Forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var values = new Dictionary<string, Value>(StringComparer.Ordinal) { [_network.Inputs[0].Name] = new(input, null) };
        var nodes = _network.Nodes;
        for (int i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            var layer = node.Layer;
            var x = values[node.Inputs[0]];
            Value y;
            if (Planned(layer.LayerName, out var spec))
                y = Quantized((IWeightedLayer)layer, layer.LayerName, spec, x);
            else if (x.Grid is { } grid)
                y = new(layer is ReLULayer ? x.Codes.AtLeast(grid.Zero) : layer.forward([x.Codes])[0], grid);
            else
                y = new(layer.forward(node.Inputs.Select(b => values[b].Float()).ToArray())[0], null);
            values[node.Outputs[0]] = y;
        }
        return values[_network.Outputs[0]].Float().MoveToOuterDisposeScope();
    }

    private Value Quantized(IWeightedLayer layer, string name, LayerQuantization spec, Value x)
    {
        var input = GridOf(spec.Input, name, "input", false)!;
        var weights = GridOf(spec.Weights, name, "weights", true)!;
        var output = GridOf(spec.Output, name, "output", false);
        // Input codes on this layer's input grid: the float input quantized (the network's input), or a requantized code.
        var q = x.Grid is { } from ? Requantize(x.Codes, from.Step, from.Zero, input) : Codes(spec.Input!.Trim(x.Codes.to(float32)).to(float64), input);
        // Weight codes per output channel: the trimmed weights (what the simulation multiplies) divided by their step.
        var w = layer.Weight.detach().to(float32);
        var wq = spec.Weights!.Trim(w).to(float64);
        var wSteps = tensor(weights.Steps, float64, w.device).reshape([-1, .. Enumerable.Repeat(1L, (int)w.dim() - 1)]);
        var wZeros = tensor(weights.Zeros, float64, w.device).reshape([-1, .. Enumerable.Repeat(1L, (int)w.dim() - 1)]);
        var wCodes = wq.div(wSteps).round().Plus(wZeros);
        var acc = layer.Apply(q.Minus(input.Zero), wCodes.sub(wZeros), null);
                // The accumulator's step per output channel: s_in · s_w (a power of two); the bias must lie on it.
        var accSteps = wSteps.flatten().Times(input.Step);
        long[] shape = [1, -1, .. Enumerable.Repeat(1L, (int)acc.dim() - 2)];
        if (layer.Bias is { } b)
        {
            var bias = (spec.Bias is { } bf ? bf.Trim(b.detach().to(float32)) : b.detach().to(float32)).to(float64);
            var bCodes = bias.div(accSteps);
            // A bias finer than s_in·s_w: widen the accumulator by k fraction bits (a left shift) until it is an integer.
            int k = 0;
            while (bCodes.round().ne(bCodes).any().item<bool>())
            {
                if (++k > 30)
                    throw new RistrettoException($"layer '{name}': its bias is not on a power-of-two refinement of the accumulator's step s_in·s_w; the integer engine needs an integer bias");
                bCodes = bCodes.Times(2.0);
            }
            if (k > 0)
            {
                acc = acc.Times(Math.ScaleB(1.0, k));
                accSteps = accSteps.Times(Math.ScaleB(1.0, -k));
            }
            acc = acc.Plus(bCodes.reshape(shape));
        }
        MaxAccumulatorMagnitude = Math.Max(MaxAccumulatorMagnitude, acc.abs().max().item<double>());
        if (output is null)
            return new(acc.mul(accSteps.reshape(shape)).to(float32), null); // the layer's output stays float (the last quantized layer only)
        // Requantize: value = acc · s_acc; code = round(value / s_out) + z_out, a shift by log2(s_out / s_acc), saturated.
        var codes = RoundHalfEven(acc.mul(accSteps.Over(output.Step).reshape(shape))).Plus(output.Zero);
        return new(codes.ClampTo(output.Min, output.Max), output);
    }

    private static Tensor Codes(Tensor onGrid, Grid g) => onGrid.Over(g.Step).round().Plus(g.Zero);

    private static Tensor Requantize(Tensor codes, double step, double zero, Grid to)
    {
        if (step == to.Step && zero == to.Zero)
            return codes.ClampTo(to.Min, to.Max);
        var v = codes.Minus(zero).Times(step / to.Step);
        return RoundHalfEven(v).Plus(to.Zero).ClampTo(to.Min, to.Max);
    }

    /// <summary>Round half to even of exact float64 values (ratios of powers of two are exact).</summary>
    private static Tensor RoundHalfEven(Tensor v) => v.round(); // libtorch's round is half-to-even

    private bool Planned(string layer, out LayerQuantization spec)
    {
        if (_plan.Layers.TryGetValue(layer, out var s) && !s.IsFloat)
        {
            spec = s;
            return true;
        }
        spec = null!;
        return false;
    }

    private static Grid? GridOf(NumberFormat? format, string layer, string part, bool allowChannels)
    {
        if (format is null)
            return part == "output" ? null : throw new RistrettoException($"layer '{layer}': its {part} is float; the integer engine needs integer {part}");
        var affine = format.Affine ?? throw new RistrettoException($"layer '{layer}': its {part} format ({format.Kind}) is not an integer grid; the integer engine cannot run it");
        if (affine.Axis is not null && !allowChannels)
            throw new RistrettoException($"layer '{layer}': per-channel {part} are not supported by the integer engine");
        foreach (double s in affine.Scales)
            if (s <= 0 || Math.ScaleB(1.0, Math.ILogB(s)) != s)
                throw new RistrettoException($"layer '{layer}': its {part} step {s} is not a power of two; the integer engine requantizes by shifts only (dynamic fixed point, pow2 scales)");
        return new Grid(affine.Scales.ToArray(), affine.ZeroPoints.Select(z => (double)z).ToArray(), affine.QMin, affine.QMax);
    }

    /// <summary>An integer grid: value = step · (code − zero), codes in [Min, Max]; per channel for weights.</summary>
    private sealed record Grid(double[] Steps, double[] Zeros, long Min, long Max)
    {
        public double Step => Steps[0];

        public double Zero => Zeros[0];
    }

    /// <summary>A blob: integer codes on a grid, or a float tensor (Grid null).</summary>
    private sealed record Value(Tensor Codes, Grid? Grid)
    {
        public Tensor Float() => Grid is { } g ? Codes.Minus(g.Zero).Times(g.Step).to(float32) : Codes;
    }
}
