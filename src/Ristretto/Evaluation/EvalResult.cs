namespace Ristretto.Evaluation;

/// <summary>Scores of a network on a data set.</summary>
/// <param name="Top1">Fraction of images whose highest-scoring class is the label (NaN for unlabelled data).</param>
/// <param name="Top5">Fraction whose label is among the five highest-scoring classes (NaN for unlabelled data).</param>
/// <param name="Images">Images scored.</param>
/// <param name="Seconds">Wall time of the scoring.</param>
public sealed record EvalResult(double Top1, double Top5, int Images, double Seconds)
{
    /// <summary>Images per second.</summary>
    public double Throughput => Seconds > 0 ? Images / Seconds : 0;

    /// <summary>Fidelity metrics measured against the float network, keyed as <see cref="Metric.Key"/> (agreement, sqnr_db, cosine).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>The value of the metric the scoring was driven by (top-1 unless another was asked for).</summary>
    public double Score { get; init; } = double.NaN;

    /// <summary><see cref="Score"/>, or top-1 when no metric set it.</summary>
    public double Driving => double.IsNaN(Score) ? Top1 : Score;
}
