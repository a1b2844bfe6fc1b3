namespace Ristretto.Quantization;

/// <summary>Value ranges seen by calibration for one quantizable layer (an LRN has no weights: 0).</summary>
/// <param name="Input">max |x| of the layer's input.</param>
/// <param name="Output">max |y| of its output, as the layer produced it (before any in-place activation).</param>
/// <param name="Weights">max |w|.</param>
/// <param name="Bias">max |b| (0 without bias).</param>
public sealed record LayerRange(double Input, double Output, double Weights, double Bias)
{
    /// <summary>Smallest (signed) input value seen; 0 or more for a post-ReLU input.</summary>
    public double InputMin { get; init; } = double.NaN;

    /// <summary>Smallest (signed) output value seen.</summary>
    public double OutputMin { get; init; } = double.NaN;

    /// <summary>
    /// Whether the input cannot be negative, read from the graph (<see cref="NonNegativeBlobs"/>: after a ReLU, ReLU6,
    /// pooling of such, or a network input calibration saw no negative value in): an unsigned format holds it.
    /// </summary>
    public bool InputNonNegative { get; init; }

    /// <summary>Histogram of |w| over [0, <see cref="Weights"/>] in <see cref="Calibration.WeightHistogramBins"/> equal bins (null for a layer without weights).</summary>
    public double[]? WeightHistogram { get; init; }

    /// <summary>The part of <see cref="WeightHistogram"/> that counts negative weights (same bins): a signed grid's error is sign-aware with it.</summary>
    public double[]? WeightNegativeHistogram { get; init; }

    /// <summary>Histogram of |input| over [0, <see cref="Input"/>] in equal bins (null unless calibration was asked for histograms).</summary>
    public double[]? InputHistogram { get; init; }

    /// <summary>The part of <see cref="InputHistogram"/> that counts negative inputs (same bins).</summary>
    public double[]? InputNegativeHistogram { get; init; }

    /// <summary>Histogram of |output| over [0, <see cref="Output"/>] in equal bins.</summary>
    public double[]? OutputHistogram { get; init; }

    /// <summary>The part of <see cref="OutputHistogram"/> that counts negative outputs (same bins).</summary>
    public double[]? OutputNegativeHistogram { get; init; }

    /// <summary>
    /// When the output's only reader is a ReLU: max of the output after it (the largest positive value), else null. An
    /// accelerator then requantizes after the ReLU, so an unsigned format over [0, this] loses nothing the ReLU keeps.
    /// </summary>
    public double? RectifiedOutput { get; init; }

    /// <summary>
    /// A format of this layer's weights' squared error in the network's output over a sample of calibration images (null unless calibration
    /// was asked for it): what <see cref="RangeMethod.Output"/> chooses weight ranges by.
    /// </summary>
    public WeightOutputError? WeightOutputError { get; init; }

    /// <summary>Histogram of the rectified output over [0, <see cref="RectifiedOutput"/>] (with histograms, when rectified).</summary>
    public double[]? RectifiedOutputHistogram { get; init; }
}
