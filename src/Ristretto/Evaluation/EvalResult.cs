namespace Ristretto.Evaluation;

/// <summary>Accuracy of a classifier on a test set: fractions in [0, 1].</summary>
/// <param name="Top1">Fraction of images whose highest-scoring class is the label.</param>
/// <param name="Top5">Fraction whose label is among the five highest-scoring classes.</param>
/// <param name="Images">Images scored.</param>
/// <param name="Seconds">Wall time of the scoring.</param>
public sealed record EvalResult(double Top1, double Top5, int Images, double Seconds)
{
    /// <summary>Images per second.</summary>
    public double Throughput => Seconds > 0 ? Images / Seconds : 0;
}
