namespace Ristretto.Reports;

/// <summary>Accuracy of a plan on a test set: fractions in [0, 1] (top-5 may be unknown).</summary>
/// <param name="Top1">Top-1 accuracy.</param>
/// <param name="Top5">Top-5 accuracy, or null.</param>
/// <param name="Origin">Where the number comes from ("plan file", "evaluated on N images").</param>
public sealed record PlanAccuracy(double Top1, double? Top5, string Origin)
{
    /// <summary>Checks both fractions lie in [0, 1]; throws <see cref="RistrettoException"/> naming <paramref name="where"/>.</summary>
    public PlanAccuracy Validated(string where)
    {
        if (!(Top1 >= 0 && Top1 <= 1))
            throw new RistrettoException($"{where}: accuracy top1 must be a fraction in [0, 1], got {Top1}");
        if (Top5 is { } t5 && !(t5 >= 0 && t5 <= 1))
            throw new RistrettoException($"{where}: accuracy top5 must be a fraction in [0, 1], got {t5}");
        return this;
    }
}
