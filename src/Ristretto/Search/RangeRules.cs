using Ristretto.Formats;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// How dynamic-fixed-point formats are fitted to calibrated ranges. <see cref="Default"/>: every integer length holds
/// the largest value it quantizes (<see cref="DynamicFixedPoint.Holding"/>); a non-negative tensor (an input after a
/// ReLU, ReLU6 or pooling of such; an output whose only reader is a ReLU, which the requantization then folds in) gets
/// the unsigned flavour, one more bit of resolution; the bias has a format of its own that holds its largest value, as
/// wide as a product (<c>b_w + b_a</c>, at most 24 bits). <see cref="Ristretto"/>: Ristretto's rules bit for bit —
/// activations <c>il = ceil(log2 max)</c> on a signed format (which saturates every value in
/// <c>(2^(il−1), max]</c>), weights <c>ceil(log2 max) + 1</c>, the bias sharing the weights' format.
/// </summary>
public sealed record RangeRules
{
    /// <summary>This project's rules.</summary>
    public static RangeRules Default { get; } = new();

    /// <summary>Ristretto's rules, bit for bit.</summary>
    public static RangeRules Ristretto { get; } = new() { RistrettoLengths = true };

    /// <summary>Ristretto's integer lengths, signed formats only, the bias in the weights' format.</summary>
    public bool RistrettoLengths { get; init; }

    /// <summary>The formats of a weighted layer at these widths (null: float32) under these rules.</summary>
    public LayerQuantization DynamicFixedPoint(string layer, LayerRange range, int? weightBits, int? activationBits)
    {
        ArgumentNullException.ThrowIfNull(range);
        if (RistrettoLengths)
            return RistrettoDfpSearch.DynamicFixedPointFormats(layer, range, weightBits, activationBits);
        var weights = weightBits is { } wb ? Weights(wb, range.Weights) : null;
        var bias = weightBits is { } b ? Bias(Math.Min(Formats.DynamicFixedPoint.MaxBitWidth, b + (activationBits ?? b)), range.Bias) : null;
        var input = activationBits is { } ab ? Input(ab, range) : null;
        var output = activationBits is { } ob ? Output(ob, range) : null;
        return new LayerQuantization(weights, bias, input, output);
    }

    /// <summary>The weights' format at <paramref name="bits"/> for a largest magnitude of <paramref name="maxAbs"/>.</summary>
    public Formats.DynamicFixedPoint Weights(int bits, double maxAbs) => RistrettoLengths
        ? Formats.DynamicFixedPoint.FromMaxAbs(bits, maxAbs, isWeights: true)
        : Formats.DynamicFixedPoint.Holding(bits, maxAbs);

    /// <summary>A bias format of its own (Ristretto: the weights' rule at this width).</summary>
    public Formats.DynamicFixedPoint Bias(int bits, double maxAbs) => Weights(bits, maxAbs);

    /// <summary>A layer's input format: unsigned when the input cannot be negative.</summary>
    public Formats.DynamicFixedPoint Input(int bits, LayerRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        return RistrettoLengths
            ? Formats.DynamicFixedPoint.FromMaxAbs(bits, range.Input, isWeights: false)
            : Formats.DynamicFixedPoint.Holding(bits, range.Input, signed: !range.InputNonNegative);
    }

    /// <summary>A layer's output format: unsigned over the rectified range when only a ReLU reads the output.</summary>
    public Formats.DynamicFixedPoint Output(int bits, LayerRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        if (RistrettoLengths)
            return Formats.DynamicFixedPoint.FromMaxAbs(bits, range.Output, isWeights: false);
        return range.RectifiedOutput is { } rectified
            ? Formats.DynamicFixedPoint.Holding(bits, rectified, signed: false)
            : Formats.DynamicFixedPoint.Holding(bits, range.Output);
    }
}
