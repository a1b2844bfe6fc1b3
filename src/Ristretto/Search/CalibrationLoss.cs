using System.Diagnostics;
using System.Globalization;
using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Search;

/// <summary>
/// A candidate plan's score that is not a metric on the evaluated set: the mean training loss (cross-entropy) of the
/// quantized network on the first <see cref="Images"/> images of the calibration set, in one forward pass (the
/// Hessian-guided allocation's sensitivity probes). The search in process and a trial worker compute it with
/// <see cref="Of"/>, on the same images in the same order, so they get the same number.
/// </summary>
/// <param name="Images">Calibration images the loss is measured on (the first ones; fewer when the set is smaller).</param>
public sealed record CalibrationLoss(int Images)
{
    /// <summary>The key of the loss in <see cref="EvalResult.Metrics"/> and trial results.</summary>
    public const string Key = "calibration_loss";

    /// <summary>The mean cross-entropy of <paramref name="plan"/> on the first <see cref="Images"/> images of <paramref name="calibration"/>.</summary>
    public double Of(Network network, QuantizationPlan plan, ImageDataset calibration)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(calibration);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = new QuantizedNetwork(network, plan);
        model.eval();
        var (x, y) = calibration.Slice(0, Math.Min(Images, calibration.Count));
        return nn.functional.cross_entropy(model.forward(x), y).item<float>();
    }

    /// <summary>The loss of <paramref name="plan"/> as a score (<see cref="EvalResult.Score"/> = the loss; no top-1).</summary>
    public EvalResult Score(Network network, QuantizationPlan plan, ImageDataset calibration)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        var watch = Stopwatch.StartNew();
        double loss = Of(network, plan, calibration);
        return new EvalResult(double.NaN, double.NaN, Math.Min(Images, calibration.Count), watch.Elapsed.TotalSeconds)
        {
            Score = loss,
            Metrics = new Dictionary<string, double> { [Key] = loss },
        };
    }

    /// <summary>A loss as progress lines print it.</summary>
    public static string Format(double loss) => $"calibration loss {loss.ToString("0.######", CultureInfo.InvariantCulture)}";
}
