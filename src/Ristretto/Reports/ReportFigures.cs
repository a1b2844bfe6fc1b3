using Ristretto.Graph;
using Ristretto.Hardware;

namespace Ristretto.Reports;

/// <summary>Every chart of a report, in the order the report shows them.</summary>
/// <param name="EnergyAccuracy">Accuracy against energy, Pareto front highlighted.</param>
/// <param name="WeightBits">Weight bits per layer and plan.</param>
/// <param name="ActivationBits">Input activation bits per layer and plan.</param>
/// <param name="Roofline">The roofline chart.</param>
/// <param name="Histograms">A weight histogram per costed layer and plan, with the plan's grid over it.</param>
public sealed record ReportFigures(Chart EnergyAccuracy, Chart WeightBits, Chart ActivationBits, Chart Roofline, IReadOnlyList<Chart> Histograms)
{
    /// <summary>All charts.</summary>
    public IEnumerable<Chart> All => new[] { EnergyAccuracy, WeightBits, ActivationBits, Roofline }.Concat(Histograms);

    /// <summary>
    /// Draws the charts of <paramref name="data"/>; the histograms read each costed layer's weights from
    /// <paramref name="network"/> once and draw one chart per plan that trims them (one plain chart when none does).
    /// </summary>
    public static ReportFigures Draw(Network network, ReportData data, int bins)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        var histograms = new List<Chart>();
        var stems = new HashSet<string>(StringComparer.Ordinal);
        string Unique(string stem)
        {
            string name = stem;
            for (int k = 2; !stems.Add(name); k++)
                name = $"{stem}-{k}";
            return name;
        }
        foreach (var (node, _) in NetworkCostModel.Shapes(network))
        {
            string layer = node.Layer.LayerName;
            var histogram = WeightHistogram.Of(((IWeightedLayer)node.Layer).Weight, bins);
            var trimmed = data.Plans.Skip(1).Where(p => p.Plan.Plan.Layers.GetValueOrDefault(layer)?.Weights is not null).ToList();
            if (trimmed.Count == 0)
                histograms.Add(ReportCharts.Histogram(layer, ReportPlan.BaselineName, histogram, null, Unique($"hist-{Stem(layer)}")));
            foreach (var p in trimmed)
                histograms.Add(ReportCharts.Histogram(layer, p.Plan.Name, histogram, p.Plan.Plan.Layers[layer].Weights, Unique($"hist-{Stem(layer)}-{Stem(p.Plan.Name)}")));
        }
        return new ReportFigures(ReportCharts.EnergyAccuracy(data), ReportCharts.BitWidths(data, weights: true),
            ReportCharts.BitWidths(data, weights: false), ReportCharts.Roofline(data), histograms);
    }

    /// <summary>A file-name-safe form of <paramref name="name"/>.</summary>
    public static string Stem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var chars = name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray();
        return new string(chars);
    }
}
