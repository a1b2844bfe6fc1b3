using System.Numerics;
using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Deploy;

/// <summary>
/// One quantized convolution or inner product as the integer engine runs it: weight codes made once, an exact integer
/// multiply-accumulate (float32 where no partial sum can pass 2^24, float64 below 2^53: both exact on integers), then <see cref="Requantizer"/> with one multiplier and bias offset per output channel.
/// </summary>
internal sealed class IntegerLayer : IDisposable
{
    private readonly IWeightedLayer _layer;
    private readonly Tensor _weights;
    private readonly ScalarType _accumulate;
    private readonly Requantizer? _requantize;
    private readonly Tensor? _floatSteps;
    private readonly Tensor? _floatBias;

    public IntegerLayer(Layer layer, LayerQuantization spec, int multiplierBits)
    {
        string name = layer.LayerName;
        _layer = layer as IWeightedLayer ?? throw new RistrettoException(
            $"layer '{name}' ({layer.Type}): the integer engine runs quantized convolutions and inner products only{(layer is LrnLayer ? " (a quantized LRN, LRNRistretto, has no integer form)" : "")}");
        if (layer is DeconvolutionLayer)
            throw new RistrettoException($"layer '{name}' (Deconvolution): the integer engine does not run quantized deconvolutions");
        if (spec.Rounding != Rounding.Nearest)
            throw new RistrettoException($"layer '{name}': the integer engine rounds to nearest; the plan asks for {spec.Rounding} rounding");
        var input = Activation(spec.Input, name, "input") ?? throw new RistrettoException($"layer '{name}': its input is float; the integer engine needs integer input");
        InputAffine = input;
        Input = CodeGrid.Of(input);
        var weightFormat = spec.Weights ?? throw new RistrettoException($"layer '{name}': its weights are float; the integer engine needs integer weights");
        var weights = weightFormat.IntegerGrid ?? throw NotInteger(name, "weights", weightFormat);
        if (weights.Axis is not (null or 0))
            throw new RistrettoException($"layer '{name}': per-channel weights along axis {weights.Axis}; the integer engine needs them along the output channels (axis 0)");
        var outputAffine = Activation(spec.Output, name, "output");
        Output = outputAffine is null ? null : CodeGrid.Of(outputAffine);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = _layer.Weight.detach();
        long channels = w.shape[0];
        long fanIn = w.numel() / channels;
        var wScales = weights.Axis is null ? Enumerable.Repeat(weights.Scales[0], (int)channels).ToArray() : weights.Scales.ToArray();
        var wZeros = weights.Axis is null ? Enumerable.Repeat(weights.ZeroPoints[0], (int)channels).ToArray() : weights.ZeroPoints.ToArray();
        // Weight codes minus their zero points: the exact trimmed values over their steps.
        long[] perChannel = [-1, .. Enumerable.Repeat(1L, (int)w.dim() - 1)];
        var exactWeights = ExactTrim.Values(weightFormat, weightFormat.Trim(w.to(ScalarType.Float32)));
        var offsets = exactWeights.div(tensor(wScales, ScalarType.Float64, w.device).reshape(perChannel)).round();
        double[]? bias = null;
        if (_layer.Bias is { } b)
        {
            var b32 = b.detach().to(ScalarType.Float32);
            var exactBias = spec.Bias is { } bf ? ExactTrim.Values(bf, bf.Trim(b32)) : b32.to(ScalarType.Float64);
            bias = exactBias.cpu().data<double>().ToArray();
        }

        // The worst case of one accumulator, from the widths and the fan-in, plus the bias on the accumulator's grid.
        double maxW = Enumerable.Range(0, (int)channels).Max(c => Math.Max(Math.Abs((double)weights.QMin - wZeros[c]), Math.Abs((double)weights.QMax - wZeros[c])));
        double products = fanIn * Input.MaxOffset * maxW;
        double maxBias = bias is null ? 0 : Enumerable.Range(0, (int)channels).Max(c => Math.Abs(bias[c]) / (input.Scales[0] * wScales[c]));
        int bits = (int)Math.Ceiling(Math.Log2(products + maxBias + 1)) + 1;
        if (products >= Math.ScaleB(1.0, 53))
            throw new RistrettoException($"layer '{name}': its accumulator can reach 2^{Math.Log2(products):F0} (fan-in {fanIn}); the integer engine sums exactly up to 2^53");
        // The sums run in float32 where no partial sum can pass 2^24 with these weights (Σ|q_w − z_w| of a channel times
        // the largest input offset: static, and tighter than the widths' worst case), else in float64; both exact.
        double l1 = offsets.abs().reshape(channels, -1).sum(1).max().item<double>();
        _accumulate = l1 * Input.MaxOffset < Math.ScaleB(1.0, 24) ? ScalarType.Float32 : ScalarType.Float64;
        _weights = offsets.to(_accumulate).DetachFromDisposeScope();

        // Per channel: acc · s_in·s_w[c] + bias[c] is the layer's value; requantization divides it by s_out.
        var (inNum, inDen) = FixedPointMultiplier.Rational(input.Scales[0]);
        bool shiftOnly = true, exact = true;
        if (Output is { } output)
        {
            var (outNum, outDen) = FixedPointMultiplier.Rational(outputAffine!.Scales[0]);
            var multipliers = new FixedPointMultiplier[channels];
            var biasOffsets = new Int128[channels];
            var rationals = new Rational[channels];
            for (int c = 0; c < channels; c++)
            {
                var (wNum, wDen) = FixedPointMultiplier.Rational(wScales[c]);
                var (mNum, mDen) = (inNum * wNum * outDen, inDen * wDen * outNum);
                var m = FixedPointMultiplier.Of(mNum, mDen, multiplierBits);
                multipliers[c] = m;
                shiftOnly &= m.Exact && BigInteger.IsPow2(m.Multiplier);
                exact &= m.Exact;
                var (bNum, bDen) = bias is null ? (BigInteger.Zero, BigInteger.One) : FixedPointMultiplier.Rational(bias[c]);
                var (offset, offsetExact) = m.OffsetOf(bNum * outDen, bDen * outNum);
                biasOffsets[c] = offset;
                exact &= offsetExact;
                rationals[c] = new Rational(mNum, mDen, bNum * outDen, bDen * outNum, !offsetExact);
            }
            _requantize = new Requantizer(multipliers, biasOffsets, output.Zero, output.Min, output.Max,
                multiplierBits == IntegerEngine.DefaultMultiplierBits ? rationals : null, bits);
        }
        else
        {
            long[] channelShape = [1, -1, .. Enumerable.Repeat(1L, (int)w.dim() - 2)];
            _floatSteps = tensor(wScales.Select(s => s * input.Scales[0]).ToArray(), ScalarType.Float64, w.device).reshape(channelShape).DetachFromDisposeScope();
            _floatBias = bias is null ? null : tensor(bias, ScalarType.Float64, w.device).reshape(channelShape).DetachFromDisposeScope();
        }
        Arithmetic = new LayerArithmetic(name, fanIn, bits, shiftOnly, exact);
    }

    /// <summary>The input's grid (per tensor).</summary>
    public CodeGrid Input { get; }

    /// <summary>The input format's grid, to quantize a float input onto.</summary>
    public AffineGrid InputAffine { get; }

    /// <summary>The output's grid; null when the layer's output stays float (the last quantized layer only).</summary>
    public CodeGrid? Output { get; }

    /// <summary>What the layer's arithmetic needs.</summary>
    public LayerArithmetic Arithmetic { get; }

    /// <summary>The largest |accumulator| of the last <see cref="Run"/>.</summary>
    public double LastMaxAccumulator { get; private set; }

    /// <summary>Output codes (float32 tensor of integers) for input codes on <see cref="Input"/>; a float32 value when <see cref="Output"/> is null.</summary>
    public Tensor Run(Tensor codes)
    {
        using var scope = NewDisposeScope();
        var q = codes.to(_accumulate).Minus(Input.Zero);
        var acc = _layer.Apply(q, _weights, null);
        LastMaxAccumulator = acc.abs().max().to(ScalarType.Float64).item<double>();
        if (_requantize is { } requantize)
            return requantize.Apply(acc).MoveToOuterDisposeScope();
        var value = acc.to(ScalarType.Float64).mul(_floatSteps!);
        if (_floatBias is { } b)
            value = value.Plus(b);
        return value.to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _weights.Dispose();
        _floatSteps?.Dispose();
        _floatBias?.Dispose();
    }

    private static AffineGrid? Activation(NumberFormat? format, string layer, string part)
    {
        if (format is null)
            return null;
        var grid = format.Affine ?? throw NotInteger(layer, part, format);
        if (grid.Axis is not null)
            throw new RistrettoException($"layer '{layer}': per-channel {part} are not supported by the integer engine");
        return grid;
    }

    private static RistrettoException NotInteger(string layer, string part, NumberFormat format) =>
        new($"layer '{layer}': its {part} format ({format.Kind}) is not an integer grid; the integer engine cannot run it");
}
