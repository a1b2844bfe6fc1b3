using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Search;

/// <summary>
/// Binary or ternary weights (<c>quantize --trimming-mode binary|ternary</c>) with dynamic-fixed-point activations by
/// <see cref="Rules"/> (default <see cref="RangeRules.Default"/>: unsigned where a tensor cannot be negative). Binary: XNOR-Net's α = mean |w|;
/// ternary: TWN's Δ = 0.7·mean |w| and α = the mean of the |w| above Δ (<see cref="BinaryFormat.FromMeanAbs"/>,
/// <see cref="TernaryFormat.FromWeights"/>), over the layer, or over each output channel with
/// <see cref="PerChannelWeights"/>. The bias is 16-bit dynamic fixed point holding its largest value. The weight width
/// asked of the factory is ignored: the weights are two-level at any width (the widths the CLI accepts say so).
/// </summary>
/// <param name="Ternary">Ternary weights (2 bits) rather than binary (1 bit).</param>
/// <param name="PerChannelWeights">One α (and Δ) per output channel.</param>
public sealed record TwoLevelScheme(bool Ternary, bool PerChannelWeights = false)
{
    /// <summary>How activation and bias ranges are fitted (<c>--calibration</c>).</summary>
    public RangeRules Rules { get; init; } = RangeRules.Default;

    /// <summary>Bits of the bias format.</summary>
    public const int BiasBits = 16;

    /// <summary>The weights' width: 1 (binary) or 2 (ternary).</summary>
    public int WeightBits => Ternary ? 2 : 1;

    /// <summary>A short name, e.g. "ternary weights (per-channel α)".</summary>
    public string Describe() => $"{(Ternary ? "ternary" : "binary")} weights ({(PerChannelWeights ? "per-channel" : "per-layer")} α)";

    /// <summary>The layer formats of this scheme over <paramref name="network"/>'s weights.</summary>
    public LayerFormats Formats(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var weightsOf = new Dictionary<string, NumberFormat>(StringComparer.Ordinal);
        return (layer, range, weightBits, activationBits) =>
        {
            var activations = Rules.DynamicFixedPoint(layer, range, null, activationBits);
            if (weightBits is null)
                return activations;
            if (!weightsOf.TryGetValue(layer, out var weights))
                weightsOf[layer] = weights = WeightFormat((IWeightedLayer)network[layer]);
            return activations with { Weights = weights, Bias = Rules.Bias(BiasBits, range.Bias) };
        };
    }

    /// <summary>The two-level format of <paramref name="layer"/>'s weights.</summary>
    public NumberFormat WeightFormat(IWeightedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = layer.Weight.detach().to(ScalarType.Float32).cpu();
        long channels = w.shape[0];
        float[] all = w.data<float>().ToArray();
        if (!PerChannelWeights)
            return Ternary ? TernaryFormat.FromWeights(all) : BinaryFormat.FromMeanAbs(all);
        int per = (int)(all.Length / channels);
        var rows = Enumerable.Range(0, (int)channels).Select(c => all.AsSpan(c * per, per).ToArray()).ToList();
        return Ternary ? TernaryFormat.PerChannelFromWeights(rows) : BinaryFormat.PerChannelFromMeanAbs(rows);
    }
}
