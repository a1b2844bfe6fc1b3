using System.Globalization;

namespace Ristretto.Reports;

/// <summary>Sentences shared by the Markdown and HTML reports.</summary>
internal static class ReportText
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Title(ReportData d) => $"Hardware cost report: {d.Network}";

    public static string Intro(ReportData d) =>
        $"Model {(d.ModelSource.Length > 0 ? d.ModelSource : d.Network)}: {d.Baseline.Cost.Macs:N0} MACs and {d.Baseline.Cost.Parameters:N0} parameters in {d.Baseline.Cost.Layers.Count} costed layers; {d.Plans.Count - 1} plan(s) against the float32 baseline. " +
        $"Accelerator: {d.Accelerator.Describe()}. Energies are per inference (one image); only convolution and inner-product layers are costed.";

    public static string TotalsNote =>
        "energy ÷ and weights ÷: how many times less energy per inference and weight memory (with scale parameters) than float32; " +
        "area: the datapath that runs every layer (MAC array and scheme units).";

    public static string AccuracyNote(ReportData d) => d.WithoutAccuracy.Count == 0
        ? "Every plan has an accuracy and appears in the chart."
        : $"Plans without an accuracy appear in the tables but not in this chart: {string.Join(", ", d.WithoutAccuracy)} " +
          "(a plan file may carry \"accuracy\": {\"top1\": …}; `--data` evaluates every plan).";

    public static IEnumerable<string> RooflineSummary(ReportData d) => d.Plans.Select(p =>
    {
        int memory = p.Cost.Layers.Count(l => d.Accelerator.Platform.IsMemoryBound(l.Intensity));
        return string.Create(C, $"{p.Plan.Name}: {memory} of {p.Cost.Layers.Count} layers memory-bound, {p.Cost.Layers.Count - memory} compute-bound (network {p.Cost.Ops / p.Cost.Bytes:0.##} ops/byte).");
    });

    public static string PlanHeading(PlanReport p) =>
        $"{p.Plan.Name}{(p.Plan.Plan.Description.Length > 0 && p.Plan.Plan.Description != p.Plan.Name ? $" — {p.Plan.Plan.Description}" : "")}";

    public static string PlanNote(PlanReport p) =>
        $"Weights {(p.Cost.WeightsResident ? "stay in the on-chip buffer (all parameters fit)" : "stream from DRAM")}; " +
        $"{p.Cost.Layers.Count(l => l.ActivationsSpill)} layer(s) spill activations to DRAM.";
}
