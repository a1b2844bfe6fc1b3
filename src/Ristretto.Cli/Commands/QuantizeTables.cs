using System.Globalization;
using System.Text;
using Ristretto.Evaluation;
using Ristretto.Search;

namespace Ristretto.Cli.Commands;

/// <summary>The terminal tables of <c>ristretto quantize</c>, laid out as Ristretto printed its results.</summary>
internal static class QuantizeTables
{
    /// <summary>The result as Ristretto printed it: every sweep, the chosen widths, the combined accuracy.</summary>
    public static string Table(string title, string network, string path, DfpSearchResult r, double margin, IReadOnlyList<int> widths, Metric? metric = null)
    {
        metric ??= Metric.Top1;
        bool top1 = metric == Metric.Top1;
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        string Value(double t1, double score, int width) => top1 ? string.Create(c, $"{(100 * t1).ToString("F2", c).PadLeft(width)}") : metric.Format(score).PadLeft(width);
        s.AppendLine(c, $"{title} on {network} ({path})");
        s.AppendLine(top1 ? string.Create(c, $"top-1 on {r.Baseline.Images:N0} test images per evaluation, error margin {margin} points")
            : string.Create(c, $"{metric.Title} against float32 on {r.Baseline.Images:N0} images per evaluation; a plan must reach {metric.Format(r.Threshold)} ({metric.MarginMeaning}: {margin})"));
        s.AppendLine(c, $"float32 baseline: {BaselineText(r.Baseline)}");
        s.AppendLine();
        s.Append(c, $"{"part",-14}");
        foreach (int bits in widths)
            s.Append(c, $"{bits + "-bit",9}");
        s.AppendLine();
        foreach (var part in r.Sweeps.Select(p => p.Part).Distinct())
        {
            s.Append(c, $"{part,-14}");
            foreach (int bits in widths)
            {
                var point = r.Sweeps.FirstOrDefault(p => p.Part == part && p.Bits == bits);
                s.Append(point is null ? $"{"—",9}" : Value(point.Top1, point.Score, 9));
            }
            s.AppendLine();
        }
        s.AppendLine();
        if (r.Combined.Count > 1)
        {
            var first = r.Combined[0];
            s.AppendLine(c, $"sweeps' choice: conv weights {Bits(first.ConvWeightBits)}, fc weights {Bits(first.FcWeightBits)}, activations {Bits(first.ActivationBits)}: {metric.Title} {(top1 ? (100 * first.Top1).ToString("F2", c) + " %" : metric.Format(first.Score))}, below the margin ({(top1 ? (100 * r.Threshold).ToString("F2", c) + " %" : metric.Format(r.Threshold))}); Ristretto stopped here");
            foreach (var step in r.Combined.GroupBy(t => t.Step).Skip(1))
            {
                s.AppendLine(c, $"widening step {step.Key}: each part one width wider, {(r.CheapestKept ? "the fewest BOPs within the margin kept (else the best)" : "the best kept")}");
                foreach (var t in step)
                    s.AppendLine(c, $"  {t.Widened,-28} {metric.Title} {(top1 ? (100 * t.Top1).ToString("F2", c).PadLeft(6) + " %" : metric.Format(t.Score))}{(t.Kept ? "  kept" : "")}");
            }
        }
        s.AppendLine(c, $"chosen: conv weights {Bits(r.ConvWeightBits)}, fc weights {Bits(r.FcWeightBits)}, activations {Bits(r.ActivationBits)}");
        s.AppendLine(c, $"combined: {ScoreText(r.Quantized, metric)} ({r.Evaluations} evaluations in {r.Seconds:F1} s)");
        if (!r.MeetsMargin)
            s.AppendLine(c, $"note: the combined plan is below the margin ({(top1 ? (100 * r.Threshold).ToString("F2", c) + " %" : metric.Format(r.Threshold))}), as Ristretto would have left it (--no-widen)");
        s.AppendLine("Please fine-tune.");
        return s.ToString();
    }

    /// <summary>Top-1 and top-5, or "unlabelled" and the fidelity metrics measured.</summary>
    private static string BaselineText(Evaluation.EvalResult r) => double.IsNaN(r.Top1)
        ? "unlabelled data"
        : string.Create(CultureInfo.InvariantCulture, $"top-1 {100 * r.Top1:F2} %, top-5 {100 * r.Top5:F2} %");

    /// <summary>Top-1 and top-5 (with labels) and the driving metric when it is another.</summary>
    private static string ScoreText(Evaluation.EvalResult r, Metric metric)
    {
        string labels = double.IsNaN(r.Top1) ? "" : string.Create(CultureInfo.InvariantCulture, $"top-1 {100 * r.Top1:F2} %, top-5 {100 * r.Top5:F2} %");
        if (metric == Metric.Top1)
            return labels;
        string driving = $"{metric.Title} {metric.Format(r.Driving)}";
        return labels.Length > 0 ? $"{driving}; {labels}" : driving;
    }

    /// <summary>The minifloat result as Ristretto printed it.</summary>
    public static string Table(string network, string path, MiniFloatSearchResult r, double margin, Metric? metric = null)
    {
        metric ??= Metric.Top1;
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"Ristretto minifloat search on {network} ({path}), error margin {margin} points");
        s.AppendLine(c, $"float32 baseline: {BaselineText(r.Baseline)}");
        s.AppendLine(c, $"exponent bits: {r.ExponentBits} (from the largest layer input/output)");
        if (r.LrnExponentBits.Count > 0)
            s.AppendLine(c, $"LRN layers, same width, exponent bits from their window sum of squares: {string.Join(", ", r.LrnExponentBits.Select(kv => $"{kv.Key} {kv.Value}"))}");
        foreach (var p in r.Sweeps)
            s.AppendLine(c, $"  {p.Bits,2}-bit minifloat (mantissa {p.Bits - 1 - r.ExponentBits}): {(metric == Metric.Top1 ? string.Create(c, $"top-1 {100 * p.Top1:F2} %") : $"{metric.Title} {metric.Format(p.Score)}")}");
        s.AppendLine(r.Bits is { } b ? $"chosen: {b}-bit minifloat" : "chosen: none within the margin (scored: 16-bit)");
        s.AppendLine(c, $"quantized: {ScoreText(r.Quantized, metric)} ({r.Evaluations} evaluations in {r.Seconds:F1} s)");
        s.AppendLine("Please fine-tune.");
        return s.ToString();
    }

    /// <summary>The power-of-two result as Ristretto printed it.</summary>
    public static string Table(string network, string path, PowerOfTwoResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"Ristretto power-of-two weights on {network} ({path})");
        s.AppendLine(c, $"float32 baseline: {BaselineText(r.Baseline)}");
        s.AppendLine(c, $"weights ±2^e, e in [{r.MinExponent}, {r.MaxExponent}], zero kept; activations and biases {r.ActivationBits}-bit dynamic fixed point");
        s.AppendLine(c, $"quantized: {ScoreText(r.Quantized, Metric.Top1)}{(r.Quantized.Metrics.Count > 0 ? "; " + string.Join(", ", Metric.All.Where(m => r.Quantized.Metrics.ContainsKey(m.Key)).Select(m => $"{m.Title} {m.Format(r.Quantized.Metrics[m.Key])}")) : "")} ({r.Evaluations} evaluations in {r.Seconds:F1} s)");
        s.AppendLine("Please fine-tune.");
        return s.ToString();
    }

    /// <summary>The per-layer result: widths per layer, cost against the per-type plan, the Pareto front.</summary>
    public static string PerLayerTable(PerLayerResult r, double perTypeBops, double perTypeTop1, Metric? metric = null)
    {
        metric ??= Metric.Top1;
        string V(double v) => metric == Metric.Top1 ? (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %" : metric.Format(v);
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine();
        s.AppendLine("Per-layer search (greedy by BOPs saved; a move is kept while top-1 stays within the margin)");
        s.AppendLine(c, $"{"layer",-12} {"weights",8} {"activations",12}");
        foreach (var (layer, (w, a)) in r.Widths)
            s.AppendLine(c, $"{layer,-12} {w + "-bit",8} {a + "-bit",12}");
        s.AppendLine(c, $"cost: {r.Final.Bops:N0} BOPs, {metric.Title} {V(r.Final.Top1)}  vs per-type plan {perTypeBops:N0} BOPs, {metric.Title} {V(perTypeTop1)}  ({(perTypeBops > 0 ? r.Final.Bops / perTypeBops : 0):P0} of its cost)");
        if (r.Final.Bops >= perTypeBops)
            s.AppendLine("the per-layer plan is not cheaper: the greedy moves that would beat the per-type plan each fell below the margin");
        if (r.BudgetExhausted)
            s.AppendLine("time budget spent: this is the best plan found so far");
        s.AppendLine(c, $"Pareto front of the {r.Scored.Count} plans scored (BOPs → top-1):");
        foreach (var p in r.ParetoFront)
            s.AppendLine(c, $"  {p.Bops,16:N0}  {V(p.Top1),8}  {p.Description}");
        s.AppendLine(c, $"({r.Evaluations} evaluations in {r.Seconds:F1} s)");
        return s.ToString();
    }

    /// <summary>A plan of given widths, scored once.</summary>
    public static string Fixed(string kind, string network, string path, Evaluation.EvalResult baseline, Evaluation.EvalResult quantized, (int Conv, int Fc, int Activations) widths)
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"{kind} on {network} ({path}): conv weights {widths.Conv}-bit, fc weights {widths.Fc}-bit, activations {widths.Activations}-bit (no search)");
        s.AppendLine(c, $"float32 baseline: {BaselineText(baseline)}");
        s.AppendLine(c, $"quantized:        {(double.IsNaN(quantized.Top1) ? "unlabelled data" : string.Create(c, $"top-1 {100 * quantized.Top1:F2} %, top-5 {100 * quantized.Top5:F2} %"))}");
        s.AppendLine("Please fine-tune.");
        return s.ToString();
    }

    private static string Bits(int? b) => b is { } v ? $"{v}-bit" : "float32 (no width within the margin)";

    /// <summary>The lines of the post-training steps: pairs equalized, AdaRound's per-layer errors, bias shifts, and the plan's score before and after.</summary>
    public static string Refinement(Jobs.RefinementResult r, Evaluation.EvalResult refined, Metric metric)
    {
        var sb = new System.Text.StringBuilder();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (r.Equalized is { } pairs)
            foreach (var p in pairs)
                sb.AppendLine(inv, $"equalized {p.First} → {p.Second}: {p.Channels} channels, factors {p.SmallestFactor:G3} … {p.LargestFactor:G3}");
        if (r.AdaRound is { } layers)
        {
            sb.AppendLine("AdaRound: each layer's output reconstruction error (calibration images), nearest → AdaRound:");
            foreach (var l in layers)
                sb.AppendLine(inv, $"  {l.Layer,-24} {l.NearestError,12:G4} → {l.AdaRoundError,12:G4}   {l.Flipped:N0} of {l.Weights:N0} weights rounded the other way{(l.Kept ? "" : " (worse: nearest kept)")}");
        }
        if (r.BiasCorrection is { } biases)
            foreach (var b in biases)
                sb.AppendLine(inv, $"bias correction {b.Layer}: largest channel shift {b.LargestShift:G3}{(b.Saturated > 0 ? $", {b.Saturated} of {b.Channels} biases clamped to the bias format" : "")}{(b.BelowStep > 0 ? $", {b.BelowStep} corrections under half a bias step" : "")}{(b.Refitted is { } f ? $", bias format refitted to {f}" : "")}");
        if (r.Nearest is { } nearest)
            sb.AppendLine(inv, $"{metric.Title}: {metric.Format(nearest.Driving)} with nearest rounding → {metric.Format(refined.Driving)} after the post-training steps");
        return sb.ToString();
    }

    /// <summary>The Hessian-guided allocation: each layer's mean Hessian diagonal and width, the plan's BOPs against the budget, its score and cost.</summary>
    public static string Hessian(string network, string path, HessianResult h, Metric metric)
    {
        var sb = new System.Text.StringBuilder();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"Hessian-guided bit allocation: {network} ({path})");
        foreach (var (layer, bits) in h.WeightBits)
            sb.AppendLine(inv, $"  {layer,-24} weights {bits,2}-bit   activations {h.ActivationBits[layer],2}-bit   mean Hessian diagonal {h.Traces[layer]:G3}");
        sb.AppendLine(inv, $"  {h.Budget.Format(h.Cost)} within the budget of {h.Budget.Format(h.Budget.Value)} ({h.Bops / 1e6:F2} M BOPs)");
        sb.AppendLine(inv, $"  the program's {h.Candidates.Count} best allocations (summed sensitivity, whole-plan loss increase on calibration images, score):");
        foreach (var c in h.Candidates)
            sb.AppendLine(inv, $"    {c.Rank + 1,2}. {string.Join(" ", c.Widths.Select(kv => $"{kv.Key} {kv.Value.Weights}/{kv.Value.Activations}")),-48} {c.Sensitivity,9:G3} {c.LossIncrease,9:G3}  {(c.Score is { } s ? metric.Format(s.Driving) : "-"),-8}{(c.Kept ? " kept" : "")}");
        sb.AppendLine(inv, $"  {metric.Title}: float {metric.Format(h.Baseline.Driving)}, plan {metric.Format(h.Quantized.Driving)} ({h.Evaluations} evaluations, {h.Seconds:F1} s)");
        return sb.ToString();
    }
}
