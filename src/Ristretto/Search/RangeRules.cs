using Ristretto.Formats;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// How dynamic-fixed-point formats are fitted to calibrated ranges. <see cref="Default"/>: each layer's weights by the least
/// squared error over their histogram of |w| (<see cref="WeightRange"/>, <see cref="WeightFormat"/>, <see cref="DfpRange"/>; opt-in
/// <see cref="RangeMethod.Output"/>: by the least squared error of the network's output over a sample of calibration images with
/// only that layer's weights trimmed), activations by <see cref="ActivationRange"/> (default: an
/// integer length that holds the largest value it quantizes, <see cref="Formats.DynamicFixedPoint.Holding"/>); a non-negative tensor (an input after a
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

    /// <summary>
    /// How the weights' range is chosen (<c>--weight-calibration</c>; default <see cref="RangeMethod.Mse"/>: at 2 bits
    /// holding the maximum costs more resolution than the few saturated weights lose). The default per-type sweep also
    /// scores the lengths of <see cref="RangeMethod.Output"/> where they differ (<see cref="RistrettoDfpSearch.AlternativeWeights"/>).
    /// </summary>
    public RangeMethod WeightRange { get; init; } = RangeMethod.Mse;

    /// <summary>How the activations' range is chosen (<c>--calibration</c>; default <see cref="RangeMethod.Max"/>; others need calibration histograms).</summary>
    public RangeMethod ActivationRange { get; init; } = RangeMethod.Max;

    /// <summary>The formats of a weighted layer at these widths (null: float32) under these rules.</summary>
    public LayerQuantization DynamicFixedPoint(string layer, LayerRange range, int? weightBits, int? activationBits)
    {
        ArgumentNullException.ThrowIfNull(range);
        if (RistrettoLengths)
            return RistrettoDfpSearch.DynamicFixedPointFormats(layer, range, weightBits, activationBits);
        var weights = weightBits is { } wb ? WeightFormat(wb, range) : null;
        var bias = weightBits is { } b ? Bias(Math.Min(Formats.DynamicFixedPoint.MaxBitWidth, b + (activationBits ?? b)), range.Bias) : null;
        var input = activationBits is { } ab ? Input(ab, range) : null;
        var output = activationBits is { } ob ? Output(ob, range) : null;
        return new LayerQuantization(weights, bias, input, output);
    }

    /// <summary>
    /// The weights' format at <paramref name="bits"/> by <see cref="WeightRange"/>: with <see cref="RangeMethod.Output"/>, the
    /// integer length of least error in the network's output where calibration kept a sample of images, else of least
    /// squared error over the weights' histogram of |w| (folded: every weight rounded as if positive, as before issue 15's
    /// session 5; <see cref="DfpRange.SquaredError"/> can take the negative weights apart, which no rule uses: as the only
    /// criterion it chose worse 2-bit conv lengths on all four train seeds).
    /// </summary>
    public Formats.DynamicFixedPoint WeightFormat(int bits, LayerRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        if (RistrettoLengths)
            return Weights(bits, range.Weights);
        if (WeightRange == RangeMethod.Output && range.WeightOutputError is { Count: > 0 } output)
            return DfpRange.ChooseBy(bits, range.Weights, true, f => output.Of(f));
        var method = WeightRange == RangeMethod.Output ? RangeMethod.Mse : WeightRange;
        return DfpRange.Choose(bits, range.Weights, range.WeightHistogram, true, method);
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
            : DfpRange.Choose(bits, range.Input, range.InputHistogram, !range.InputNonNegative, ActivationRange);
    }

    /// <summary>A layer's output format: unsigned over the rectified range when only a ReLU reads the output.</summary>
    public Formats.DynamicFixedPoint Output(int bits, LayerRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        if (RistrettoLengths)
            return Formats.DynamicFixedPoint.FromMaxAbs(bits, range.Output, isWeights: false);
        return range.RectifiedOutput is { } rectified
            ? DfpRange.Choose(bits, rectified, range.RectifiedOutputHistogram, false, ActivationRange)
            : DfpRange.Choose(bits, range.Output, range.OutputHistogram, true, ActivationRange);
    }
}
