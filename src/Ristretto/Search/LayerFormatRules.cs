using Ristretto.Formats;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// Rules laid over any <see cref="LayerFormats"/> factory, so every search mode that uses one gets them:
/// logarithmic activations (<c>quantize --log-activations 2|sqrt2</c>) and layers kept in float32
/// (<c>--keep-float-layers</c>).
/// </summary>
public static class LayerFormatRules
{
    /// <summary>
    /// <paramref name="inner"/> with every layer input and output at the asked width replaced by a <see cref="LogFormat"/> of
    /// base 2 (<paramref name="stepsPerOctave"/> 1) or √2 (2): its full-scale range from the calibrated maximum
    /// (<see cref="LogFormat.FromMax"/>), unsigned where the tensor cannot be negative (an input after a ReLU or pooling of
    /// one; an output only a ReLU reads, over its rectified range). A 1-bit signed tensor, which has no exponent code, stays
    /// as <paramref name="inner"/> made it.
    /// </summary>
    public static LayerFormats LogActivations(LayerFormats inner, int stepsPerOctave)
    {
        ArgumentNullException.ThrowIfNull(inner);
        return (layer, range, weightBits, activationBits) =>
        {
            var spec = inner(layer, range, weightBits, activationBits);
            if (activationBits is not { } bits)
                return spec;
            bool inputUnsigned = range.InputNonNegative;
            var input = inputUnsigned || bits >= 2 ? LogFormat.FromMax(bits, stepsPerOctave, range.Input, signed: !inputUnsigned) : spec.Input;
            bool outputUnsigned = range.RectifiedOutput is not null;
            var output = outputUnsigned || bits >= 2
                ? LogFormat.FromMax(bits, stepsPerOctave, range.RectifiedOutput ?? range.Output, signed: !outputUnsigned)
                : spec.Output;
            return spec with { Input = input, Output = output };
        };
    }

    /// <summary><paramref name="inner"/> with the layers named in <paramref name="keep"/> left in float32 (no formats).</summary>
    public static LayerFormats KeepFloat(LayerFormats inner, IReadOnlyCollection<string> keep)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(keep);
        if (keep.Count == 0)
            return inner;
        var names = new HashSet<string>(keep, StringComparer.Ordinal);
        return (layer, range, weightBits, activationBits) =>
            names.Contains(layer) ? new LayerQuantization() : inner(layer, range, weightBits, activationBits);
    }
}
