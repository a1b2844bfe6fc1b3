using Ristretto.Graph;
using Ristretto.Hardware;
using Ristretto.Quantization;

namespace Ristretto.Reports;

/// <summary>
/// Everything a report shows, computed once: the float32 baseline and every plan costed by
/// <see cref="NetworkCostModel"/>, the Pareto front of the plans with an accuracy, the rules and sources.
/// Building it checks every plan against the network before any file is written.
/// </summary>
public sealed record ReportData
{
    /// <summary>Network name.</summary>
    public required string Network { get; init; }

    /// <summary>Where the model came from.</summary>
    public required string ModelSource { get; init; }

    /// <summary>The accelerator assumed.</summary>
    public required AcceleratorOptions Accelerator { get; init; }

    /// <summary>The float32 baseline first, then the plans in the order given.</summary>
    public required IReadOnlyList<PlanReport> Plans { get; init; }

    /// <summary>The baseline (the first plan).</summary>
    public PlanReport Baseline => Plans[0];

    /// <summary>The rules the numbers follow, one sentence each.</summary>
    public required IReadOnlyList<string> Rules { get; init; }

    /// <summary>The op table's sources.</summary>
    public required IReadOnlyList<string> Sources { get; init; }

    /// <summary>Names of plans without an accuracy (left out of the accuracy-vs-energy chart).</summary>
    public IReadOnlyList<string> WithoutAccuracy => Plans.Where(p => p.Plan.Accuracy is null).Select(p => p.Plan.Name).ToList();

    /// <summary>
    /// Costs <paramref name="plans"/> (the float32 baseline is added first unless one is named float32) on
    /// <paramref name="network"/>. A plan naming a layer the network lacks, a non-weighted layer, or (unless
    /// <see cref="ReportOptions.AllowFloatLayers"/>) missing a weighted layer is a <see cref="RistrettoException"/>.
    /// </summary>
    public static ReportData Compute(Network network, IReadOnlyList<ReportPlan> plans, ReportOptions? options = null,
        PlanAccuracy? baselineAccuracy = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plans);
        options ??= ReportOptions.Default;
        var names = new HashSet<string>(StringComparer.Ordinal) { ReportPlan.BaselineName };
        foreach (var p in plans)
        {
            NetworkCostModel.CheckLayers(network, p.Plan, p.Name, requireAll: !options.AllowFloatLayers);
            if (!names.Add(p.Name))
                throw new RistrettoException($"two plans are named '{p.Name}'; plan names (file names without extension) must differ");
        }
        var all = new List<ReportPlan> { new(ReportPlan.BaselineName, QuantizationPlan.Float, baselineAccuracy) };
        all.AddRange(plans);
        var costs = all.Select(p => NetworkCostModel.Compute(network, p.Plan, options.Accelerator, p.Name)).ToList();
        var scored = all.Select((p, i) => (p, i)).Where(x => x.p.Accuracy is not null).ToList();
        var front = ParetoFront.Of(scored.Select(x => (costs[x.i].Energy.Total, x.p.Accuracy!.Top1)).ToList())
            .Select(k => scored[k].i).ToHashSet();
        return new ReportData
        {
            Network = network.Name,
            ModelSource = options.ModelSource,
            Accelerator = options.Accelerator,
            Plans = all.Select((p, i) => new PlanReport(p, costs[i], front.Contains(i))).ToList(),
            Rules = CostRules.Lines(options.Accelerator),
            Sources = [CostRules.Source, CostRules.SchemeSource, "Roofline: S. Williams, A. Waterman, D. Patterson, CACM 52(4), 2009; platform: " + options.Accelerator.Platform.Name],
        };
    }
}
