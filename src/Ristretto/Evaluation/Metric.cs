using System.Globalization;

namespace Ristretto.Evaluation;

/// <summary>
/// What a plan is scored by. Label metrics (top-1, top-5) compare the network's classes with the labels; fidelity
/// metrics compare its outputs with the float network's on the same images, so they need no labels and no classifier
/// (a feature extractor works too). Each metric says how an error margin turns into the lowest score a plan may have.
/// </summary>
public sealed class Metric
{
    private readonly Func<double, double, double> _threshold;
    private readonly Func<double, string> _format;

    private Metric(string name, string key, string title, bool needsLabels, bool needsReference, Func<double, double, double> threshold, Func<double, string> format, string margin)
    {
        Name = name;
        Key = key;
        Title = title;
        NeedsLabels = needsLabels;
        NeedsReference = needsReference;
        _threshold = threshold;
        _format = format;
        MarginMeaning = margin;
    }

    /// <summary>The name on the command line (<c>--metric</c>).</summary>
    public string Name { get; }

    /// <summary>The key in JSON (<c>top1</c>, <c>top5</c>, <c>agreement</c>, <c>sqnr_db</c>, <c>cosine</c>).</summary>
    public string Key { get; }

    /// <summary>How tables name it.</summary>
    public string Title { get; }

    /// <summary>Whether the data must carry labels.</summary>
    public bool NeedsLabels { get; }

    /// <summary>Whether the float network's outputs are needed.</summary>
    public bool NeedsReference { get; }

    /// <summary>What <c>--error-margin</c> means for this metric.</summary>
    public string MarginMeaning { get; }

    /// <summary>Top-1 accuracy (fraction); the margin is the allowed drop in points.</summary>
    public static Metric Top1 { get; } = new("top1", "top1", "top-1", true, false, Drop, Percent, "the allowed top-1 drop in points");

    /// <summary>Top-5 accuracy (fraction); the margin is the allowed drop in points.</summary>
    public static Metric Top5 { get; } = new("top5", "top5", "top-5", true, false, Drop, Percent, "the allowed top-5 drop in points");

    /// <summary>Fraction of images whose top class is the float network's; the margin is the allowed drop in points from 100.</summary>
    public static Metric Agreement { get; } = new("agreement", "agreement", "agreement", false, true, Drop, Percent, "the allowed drop in points of agreement with float (100)");

    /// <summary>
    /// Output signal-to-quantization-noise ratio in dB: 10·log10(Σ y² / Σ (ŷ − y)²) over every output value of every image,
    /// y the float network's output; the margin is the lowest SQNR a plan may have (required).
    /// </summary>
    public static Metric Sqnr { get; } = new("sqnr", "sqnr_db", "SQNR", false, true, (_, m) => m,
        v => double.IsPositiveInfinity(v) ? "∞ dB" : v.ToString("F2", CultureInfo.InvariantCulture) + " dB", "the lowest output SQNR in dB");

    /// <summary>Mean over images of the cosine similarity of the output with the float output; the margin M gives the lowest mean 1 − M/100.</summary>
    public static Metric Cosine { get; } = new("cosine", "cosine", "cosine", false, true, (_, m) => 1 - m / 100,
        v => v.ToString("F5", CultureInfo.InvariantCulture), "1 − the lowest mean cosine similarity, in hundredths");

    /// <summary>Every metric.</summary>
    public static IReadOnlyList<Metric> All { get; } = [Top1, Top5, Agreement, Sqnr, Cosine];

    /// <summary>The metric named <paramref name="name"/> (its command-line name or JSON key).</summary>
    public static Metric Named(string name) =>
        All.FirstOrDefault(m => m.Name.Equals(name, StringComparison.OrdinalIgnoreCase) || m.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new RistrettoException($"metric {name}: expected one of {string.Join(", ", All.Select(m => m.Name))}");

    /// <summary>Metrics named in a comma-separated list.</summary>
    public static IReadOnlyList<Metric> List(string? names) =>
        string.IsNullOrWhiteSpace(names) ? [] : names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Named).Distinct().ToList();

    /// <summary>
    /// The lowest score a plan may have: for top-1, top-5 and agreement the float score less <paramref name="margin"/>
    /// points; for SQNR <paramref name="margin"/> dB; for cosine 1 − margin/100.
    /// </summary>
    public double Threshold(double baseline, double margin)
    {
        if (!double.IsFinite(margin) || margin < 0 || (this != Sqnr && margin > 100))
            throw new RistrettoException(this == Sqnr
                ? $"--error-margin for sqnr is the lowest SQNR in dB, a number ≥ 0; got {margin}"
                : $"error margin must be between 0 and 100 percentage points, got {margin}");
        return _threshold(baseline, margin);
    }

    /// <summary>A score as tables print it.</summary>
    public string Format(double value) => double.IsNaN(value) ? "—" : _format(value);

    /// <summary>This metric's value in <paramref name="result"/> (NaN when it was not measured).</summary>
    public double ValueOf(EvalResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return this == Top1 ? result.Top1 : this == Top5 ? result.Top5 : result.Metrics.GetValueOrDefault(Key, double.NaN);
    }

    private static double Drop(double baseline, double margin) => baseline - margin / 100;

    private static string Percent(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %";

    /// <inheritdoc />
    public override string ToString() => Name;
}
