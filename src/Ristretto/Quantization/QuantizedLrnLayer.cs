using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// Local response normalisation computed in a minifloat format, every intermediate value trimmed: Ristretto's
/// <c>LRNRistretto</c>, on every device. <see cref="LayerQuantization.Output"/> is that arithmetic format (it must be
/// <see cref="MiniFloat"/>: no fixed-point grid holds x, x², the window sum and its power at once);
/// <see cref="LayerQuantization.Input"/>, when set and different, trims the input first, as in every quantized layer.
/// With the arithmetic format null the LRN runs in float32 on the trimmed input.
/// </summary>
/// <remarks>
/// <para>Across channels, as Ristretto's GPU kernel did it (its CPU code was never written): x_q = t(x); s = t(x_q·x_q);
/// a running sum walks the channels, each addition of the entering channel's s and each subtraction of the leaving
/// one trimmed (the accumulator of a hardware unit as wide as the format); scale = t(k + t(sum · α/n));
/// y = t(x_q · t(scale^−β)). Products and sums are float32 operations (IEEE, the same on every device); the power is
/// computed in float64 and rounded to float32 before its trim, so it too is the same on every device.</para>
/// <para>Within a channel (which Ristretto did not implement): s as above; the n×n zero-padded window's values are
/// added in row-major order, each addition trimmed; scale = t(1 + t(sum · α/n²)); y as above.</para>
/// <para>Every trim uses the spec's rounding (Ristretto always rounded LRN intermediates to nearest and ignored
/// <c>rounding_scheme</c>); stochastic draws take a fresh seed per trim, so no two intermediates share their draws.
/// In a pass that records gradients the output carries the float LRN's gradient (straight through the whole layer),
/// as Ristretto's backward pass was the float one.</para>
/// </remarks>
public sealed class QuantizedLrnLayer : Layer, IQuantizedLayer
{
    private readonly LrnLayer _lrn;
    private readonly MiniFloat? _arithmetic;
    private readonly NumberFormat? _inputTrim;

    /// <summary>Wraps <paramref name="layer"/> with <paramref name="spec"/>; a spec with weights, a bias or a non-minifloat output is an error.</summary>
    /// <param name="layer">The float LRN.</param>
    /// <param name="spec">The formats.</param>
    /// <param name="owns">Register the layer as this layer's child (an imported <c>LRNRistretto</c>).</param>
    public QuantizedLrnLayer(LrnLayer layer, LayerQuantization spec, bool owns = false) : base(layer?.LayerName ?? throw new ArgumentNullException(nameof(layer)))
    {
        _lrn = layer;
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
        string where = $"layer '{layer.LayerName}' (LRN)";
        if (spec.Weights is not null || spec.Bias is not null)
            throw new RistrettoException($"{where} has no weights or bias, but its plan entry gives them formats");
        if (spec.Approximation is not null)
            throw new RistrettoException($"{where}: an \"approximation\" belongs on an activation layer (tanh, sigmoid, ELU)");
        _arithmetic = spec.Output switch
        {
            null => null,
            MiniFloat m => m,
            var other => throw new RistrettoException(
                $"{where}: the output format is also the format of x², the window sum and its power, so it must be minifloat (as Ristretto's LRNRistretto), not {other.Kind}"),
        };
        _inputTrim = spec.Input is { } input && !input.Equals(_arithmetic) ? input : null;
        if (owns)
            register_module("float", layer);
    }

    /// <inheritdoc />
    public LayerQuantization Spec { get; }

    /// <inheritdoc />
    public Layer Inner => _lrn;

    /// <summary>The LRN's parameters.</summary>
    public LrnLayer Lrn => _lrn;

    /// <summary>
    /// The rounding and base seed of the next forward pass; null: the spec's rounding with seed 0 (a fine-tuning
    /// network sets it to draw per batch).
    /// </summary>
    internal Func<(Rounding Rounding, ulong Seed)>? Draws { get; init; }

    /// <inheritdoc />
    public override string Type => "LRNRistretto";

    /// <inheritdoc />
    internal override bool CouplesImages => Spec.Rounding == Rounding.Stochastic || Draws is not null; // a draw per element index in the batch

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => _lrn.OutputShapes(inputs);

    /// <inheritdoc />
    public override string Describe() => _lrn.Describe() + (_arithmetic is { } m ? $", in {m}" : "");

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var x = inputs[0];
        var (rounding, seed) = Draws?.Invoke() ?? (Spec.Rounding, 0UL);
        Tensor y;
        using (no_grad())
            y = Compute(x.detach(), rounding, seed);
        if (x.requires_grad && is_grad_enabled())
            y = StraightThrough.AddZeroWithGradient(y, _lrn.forward([x])[0]);
        return [y.MoveToOuterDisposeScope()];
    }

    private Tensor Compute(Tensor x, Rounding rounding, ulong seed)
    {
        var seeds = new SplitMix64(seed);
        if (_inputTrim is { } fin)
            x = fin.Trim(x, rounding, seeds.NextUInt64());
        if (_arithmetic is not { } m)
            return _lrn.forward([x])[0];
        // t(v): v (this method's own tensor) trimmed in place.
        Tensor T(Tensor v) => m.Trim_(v, rounding, seeds.NextUInt64());
        var xq = m.Trim(x, rounding, seeds.NextUInt64());
        var squares = T(xq.mul(xq));
        var scale = _lrn.WithinChannel ? WithinChannelScale(squares, T) : AcrossChannelScale(squares, T);
        // The power in float64, rounded to float32: libm-grade float pow differs by an ulp between CPU (SLEEF, also
        // between its vector body and scalar tail) and CUDA; in double the float32 result is the same everywhere.
        var power = T(scale.to_type(ScalarType.Float64).ToPower(-(double)(float)_lrn.Beta).to_type(ScalarType.Float32));
        return T(xq.mul(power));
    }

    /// <summary>k + α/n · (running sum over n channels), the running sum trimmed after each addition and subtraction.</summary>
    private Tensor AcrossChannelScale(Tensor squares, Func<Tensor, Tensor> t)
    {
        long channels = squares.shape[1];
        int size = _lrn.Size;
        int after = size - (size - 1) / 2 - 1; // channels after the centre in a window
        // Caffe computes alpha / size in float (alpha_ is a float, size_ an int), and k is a float field.
        float alphaOverSize = (float)_lrn.Alpha / size;
        double k = (float)_lrn.K;
        var sum = zeros_like(squares.select(1, 0));
        var scales = new Tensor[channels];
        for (long head = 0; head < channels + after; head++)
        {
            if (head < channels)
                t(sum.PlusInPlace(squares.select(1, head)));
            if (head >= size)
                t(sum.sub_(squares.select(1, head - size)));
            if (head >= after)
                scales[head - after] = t(t(sum.Times(alphaOverSize)).PlusInPlace(k));
        }
        return stack(scales, 1);
    }

    /// <summary>1 + α/n² · (sum over the zero-padded n×n window), each addition trimmed.</summary>
    private Tensor WithinChannelScale(Tensor squares, Func<Tensor, Tensor> t)
    {
        int size = _lrn.Size;
        long pad = (size - 1) / 2, height = squares.shape[2], width = squares.shape[3];
        var padded = nn.functional.pad(squares, [pad, pad, pad, pad]);
        var sum = zeros_like(squares);
        for (long dy = 0; dy < size; dy++)
            for (long dx = 0; dx < size; dx++)
                t(sum.PlusInPlace(padded.narrow(2, dy, height).narrow(3, dx, width)));
        float alphaOverArea = (float)_lrn.Alpha / (size * size);
        return t(t(sum.Times(alphaOverArea)).PlusInPlace(1.0));
    }
}
