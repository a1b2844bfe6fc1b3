using System.Globalization;

namespace Ristretto.Search;

/// <summary>
/// The work a search did, in one unit for every search: float-pass equivalents over the evaluated set. A plan scored on
/// the evaluated set counts 1 (one pass over its images, quantized or not); a forward pass over other images (the range
/// calibration, a calibration-loss probe) counts its images over the evaluated set's; a Hessian-vector product counts
/// <see cref="PassesPerProduct"/> passes of its images (forward, backward with graph, and the double backward's two).
/// </summary>
/// <param name="Evaluations">Plans scored on the evaluated set (float baselines included, each time one is run).</param>
/// <param name="EvaluatedImages">Images in one evaluation.</param>
/// <param name="CalibrationImages">Images run forward to measure the ranges (each pass counted).</param>
/// <param name="LossImages">Images run forward to measure calibration losses (each plan's pass counted).</param>
/// <param name="ProductImages">Images run through a Hessian-vector product (each probe counted).</param>
public sealed record SearchCost(int Evaluations, double EvaluatedImages, long CalibrationImages = 0, long LossImages = 0, long ProductImages = 0)
{
    /// <summary>Float-pass equivalents of one Hessian-vector product per image (forward, backward with graph, double backward).</summary>
    public const double PassesPerProduct = 4;

    /// <summary>The whole cost in float passes over the evaluated set.</summary>
    public double PassEquivalents => Evaluations + (CalibrationImages + LossImages + PassesPerProduct * ProductImages) / Math.Max(EvaluatedImages, 1);

    /// <summary>Both costs together (the same evaluated set).</summary>
    public SearchCost Plus(SearchCost other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new SearchCost(Evaluations + other.Evaluations, EvaluatedImages, CalibrationImages + other.CalibrationImages,
            LossImages + other.LossImages, ProductImages + other.ProductImages);
    }

    /// <summary>One line: the total and its parts.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{PassEquivalents:F2} float-pass equivalents: {Evaluations} evaluations of {EvaluatedImages:N0} images")
        + (CalibrationImages > 0 ? string.Create(CultureInfo.InvariantCulture, $", range calibration on {CalibrationImages:N0} images") : "")
        + (LossImages > 0 ? string.Create(CultureInfo.InvariantCulture, $", calibration-loss passes on {LossImages:N0} images") : "")
        + (ProductImages > 0 ? string.Create(CultureInfo.InvariantCulture, $", Hessian-vector products on {ProductImages:N0} images (× {PassesPerProduct})") : "");
}
