using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Search;

/// <summary>
/// An integer quantization scheme (uniform grid with scale and, optionally, offset), searched with Ristretto's
/// per-type sweeps. Weights: signed symmetric codes with a narrow range <c>[−(2^(b−1)−1), 2^(b−1)−1]</c>, one scale
/// per tensor or per output channel, scale = max |w| / (2^(b−1)−1). Activations: unsigned codes when calibration
/// saw no negative value (post-ReLU inputs), signed symmetric otherwise, or unsigned with a zero point when
/// <see cref="AsymmetricActivations"/> (scale = (max − min)/(2^b − 1)); a layer output whose only reader is a ReLU is
/// unsigned over its positive range (the ReLU folded into the requantization, as accelerators do); the range is the calibrated maximum, or
/// the threshold minimising the squared error over the calibration histogram with <see cref="MseClipping"/>.
/// Scales are snapped to <see cref="Scale"/>'s kind (float, fixed point with <see cref="ScaleFractionBits"/>,
/// power of two). With both weights and activations integer, the bias is a 24-bit integer with scale
/// s_w · s_in (what an integer accumulator adds); where the largest bias would not fit (wide weights and inputs make
/// s_w · s_in tiny: 16-bit ones saturated every bias of a BN-folded ResNet), that scale doubles until it fits, as an
/// accelerator shifts a narrower bias into the accumulator. Otherwise the bias stays float.
/// </summary>
public sealed record IntegerScheme(ScaleKind Scale = ScaleKind.Float, bool PerChannelWeights = false, bool AsymmetricActivations = false,
    bool MseClipping = false, int ScaleFractionBits = 16)
{
    /// <summary>The widths swept: a symmetric signed grid needs at least 2 bits.</summary>
    public static readonly int[] Widths = [16, 8, 4, 2];

    /// <summary>Bins of the calibration histograms used by <see cref="MseClipping"/> and <see cref="ActivationRange"/>.</summary>
    public const int HistogramBins = 2048;

    /// <summary>Bins of each output channel's |w| histogram when per-channel weight ranges are chosen by error.</summary>
    public const int ChannelHistogramBins = 512;

    /// <summary>
    /// How weight scales are chosen (<c>--weight-calibration</c>; null: max): the clipping threshold per tensor (over the
    /// calibrated 2,048-bin |w| histogram) or per output channel (over a 512-bin histogram of that channel's |w|), by
    /// <see cref="IntegerRange.Clip"/>.
    /// </summary>
    public RangeMethod? WeightRange { get; init; }

    /// <summary>How activation ranges are chosen (<c>--calibration</c>: max, mse, kl, percentile:P); null: <see cref="MseClipping"/> says mse or max. Not for asymmetric ranges.</summary>
    public RangeMethod? ActivationRange { get; init; }

    /// <summary>Whether calibration must stream activation histograms.</summary>
    public bool NeedsHistograms => MseClipping || ActivationRange is { NeedsHistogram: true };

    /// <summary>A short name, e.g. "integer (pow2 scale, per-channel weights, asymmetric activations, MSE clipping)".</summary>
    public string Describe()
    {
        var parts = new List<string> { Scale switch { ScaleKind.PowerOfTwo => "power-of-two scale", ScaleKind.FixedPoint => $"fixed-point scale ({ScaleFractionBits} fraction bits)", _ => "float scale" } };
        parts.Add(PerChannelWeights ? "per-channel weights" : "per-tensor weights");
        if (AsymmetricActivations)
            parts.Add("asymmetric activations");
        if (ActivationRange is { } a && a != RangeMethod.Max)
            parts.Add($"{a} activation ranges");
        else if (MseClipping)
            parts.Add("MSE clipping");
        if (WeightRange is { } w && w != RangeMethod.Max)
            parts.Add($"{w} weight ranges");
        return $"integer ({string.Join(", ", parts)})";
    }

    /// <summary>The layer formats of this scheme over <paramref name="network"/>'s weights.</summary>
    public LayerFormats Formats(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return (layer, range, weightBits, activationBits) =>
        {
            var weights = weightBits is { } wb ? WeightFormat((IWeightedLayer)network[layer], range, wb) : null;
            var input = activationBits is { } ab ? ActivationFormat(range.Input, range.InputMin, range.InputHistogram, ab) : null;
            // An output only a ReLU reads is requantized after it: unsigned over the positive range (twice the levels).
            var output = activationBits is not { } ob ? null
                : range.RectifiedOutput is { } rectified ? ActivationFormat(rectified, 0, range.RectifiedOutputHistogram, ob)
                : ActivationFormat(range.Output, range.OutputMin, range.OutputHistogram, ob);
            return new LayerQuantization(weights, BiasFormat(weights, input, range.Bias), input, output);
        };
    }

    private IntegerFormat WeightFormat(IWeightedLayer layer, LayerRange range, int bits)
    {
        long qmax = (1L << (bits - 1)) - 1;
        var method = WeightRange ?? RangeMethod.Max;
        if (!PerChannelWeights)
            return IntegerFormat.Symmetric(bits, Snap(IntegerRange.Clip(range.WeightHistogram, range.Weights, qmax, method) / qmax), narrowRange: true, Scale, ScaleFractionBits);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = layer.Weight.detach();
        var max = w.abs().reshape(w.shape[0], -1).amax([1]).cpu().data<float>().ToArray();
        if (method == RangeMethod.Max)
            return new IntegerFormat(bits, true, max.Select(m => Snap(m / (double)qmax)), null, 0, narrowRange: true, Scale, ScaleFractionBits);
        using var rows = w.reshape(w.shape[0], -1).to_type(ScalarType.Float32).cpu().contiguous();
        var values = rows.data<float>().ToArray();
        int perRow = values.Length / max.Length;
        var clips = max.Select((m, c) => IntegerRange.Clip(IntegerRange.Histogram(values.AsSpan(c * perRow, perRow), m, ChannelHistogramBins), m, qmax, method));
        return new IntegerFormat(bits, true, clips.Select(c => Snap(c / qmax)).ToArray(), null, 0, narrowRange: true, Scale, ScaleFractionBits);
    }

    private IntegerFormat ActivationFormat(double max, double min, double[]? histogram, int bits)
    {
        if (AsymmetricActivations && min < 0)
        {
            double scale = Snap((max - min) / ((1L << bits) - 1));
            int zero = (int)Math.Clamp(Math.Round(-min / scale), 0, (1L << bits) - 1);
            return new IntegerFormat(bits, false, [(float)scale], [zero], null, false, Scale, ScaleFractionBits);
        }
        bool unsigned = min >= 0;
        long levels = unsigned ? (1L << bits) - 1 : (1L << (bits - 1)) - 1;
        double clip = ActivationRange is { } method && method != RangeMethod.Mse ? IntegerRange.Clip(histogram, max, levels, method)
            : (MseClipping || ActivationRange == RangeMethod.Mse) && histogram is not null ? Calibration.ClipThreshold(histogram, max, levels) : max;
        return new IntegerFormat(bits, !unsigned, [Snap(clip / levels)], null, null, narrowRange: !unsigned, Scale, ScaleFractionBits);
    }

    private IntegerFormat? BiasFormat(IntegerFormat? weights, IntegerFormat? input, double biasMax)
    {
        if (weights is null || input is null)
            return null;
        var kind = Scale == ScaleKind.PowerOfTwo ? ScaleKind.PowerOfTwo : ScaleKind.Float;
        const double codes = (1 << 23) - 1;
        var scales = weights.Scales.Select(s =>
        {
            float scale = Math.Max(s * input.Scales[0], 1e-30f);
            while (biasMax > scale * codes && scale < float.MaxValue / 2)
                scale *= 2;
            return scale;
        }).ToArray();
        return new IntegerFormat(24, true, scales, null, scales.Length > 1 ? 0 : null, false, kind);
    }

    private float Snap(double scale) => IntegerFormat.SnapScale(Math.Max(scale, 1e-12), Scale, ScaleFractionBits);
}
