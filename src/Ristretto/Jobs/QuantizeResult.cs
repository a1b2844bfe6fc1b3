using Ristretto.Evaluation;
using Ristretto.Quantization;
using Ristretto.Search;

namespace Ristretto.Jobs;

/// <summary>
/// What <see cref="Quantizer.Run"/> found: the float and chosen plans' scores, the chosen plan, the search that found
/// it (exactly one of the search results is set, none with <see cref="QuantizeSettings.Widths"/>), and the files
/// written. <see cref="ToJson"/> is the document the CLI's <c>--json</c> holds.
/// </summary>
public sealed record QuantizeResult
{
    /// <summary>The model file quantized.</summary>
    public required string ModelPath { get; init; }

    /// <summary>The network's name.</summary>
    public required string NetworkName { get; init; }

    /// <summary>The settings the run used.</summary>
    public required QuantizeSettings Settings { get; init; }

    /// <summary>The float network's scores.</summary>
    public required EvalResult Baseline { get; init; }

    /// <summary>The chosen plan's scores.</summary>
    public required EvalResult Quantized { get; init; }

    /// <summary>The chosen plan (with the learning marks of <see cref="QuantizeSettings.Learning"/> when written).</summary>
    public required QuantizationPlan Plan { get; init; }

    /// <summary>The per-type search's result (DFP or integer sweeps).</summary>
    public DfpSearchResult? Sweeps { get; init; }

    /// <summary>The widths swept, widest first (for the sweeps' table).</summary>
    public IReadOnlyList<int> SweepWidths { get; init; } = [];

    /// <summary>The minifloat search's result.</summary>
    public MiniFloatSearchResult? MiniFloat { get; init; }

    /// <summary>The power-of-two search's result.</summary>
    public PowerOfTwoResult? PowerOfTwo { get; init; }

    /// <summary>The per-layer search's result, and the BOPs of the per-type plan it started from.</summary>
    public (PerLayerResult Result, double PerTypeBops)? PerLayer { get; init; }

    /// <summary>The Hessian-guided allocation's result (<c>--search hessian</c>).</summary>
    public HessianResult? Hessian { get; init; }

    /// <summary>
    /// What the search ran, in float-pass equivalents over the evaluated set (<see cref="SearchCost"/>): every plan scored
    /// (the per-layer search's include the per-type sweeps it starts from), the range calibration, and for the Hessian
    /// allocation its calibration-loss passes and Hessian-vector products. The post-training steps are not in it.
    /// </summary>
    public SearchCost? Cost { get; init; }

    /// <summary>The SQNR of every quantized layer's output (dB), when asked for.</summary>
    public IReadOnlyList<(string Layer, double SqnrDb)>? LayerSqnr { get; init; }

    /// <summary>What the post-training steps did (<c>--equalize</c>, <c>--adaround</c>, <c>--bias-correction</c>), or null.</summary>
    public RefinementResult? Refinement { get; init; }

    /// <summary>The model written with the changed weights (<c>--out</c>).</summary>
    public string? OutPath { get; init; }

    /// <summary>A one-line name of the formats searched, e.g. "integer (float scale, per-tensor weights)".</summary>
    public required string SchemeDescription { get; init; }

    /// <summary>Files written: the plan, the Ristretto prototxt and its caffemodel, the report's HTML page.</summary>
    public string? PlanPath { get; init; }

    /// <summary>The Ristretto prototxt written.</summary>
    public string? QuantizedModelPath { get; init; }

    /// <summary>The caffemodel written beside it.</summary>
    public string? CaffeModelPath { get; init; }

    /// <summary>The cost report's HTML page.</summary>
    public string? ReportPath { get; init; }

    /// <summary>What a fanned-out search did (work folder, launcher, rounds, trials), when it fanned out.</summary>
    public ScaleOut.ScaleOutSummary? ScaleOut { get; init; }

    /// <summary>With <c>--dry-run</c>: the script or manifest of the first round written (and nothing searched).</summary>
    public ScaleOut.DryRunWritten? DryRun { get; init; }

    /// <summary>The JSON document of this result (the CLI's <c>--json</c>).</summary>
    public Dictionary<string, object?> ToJson()
    {
        if (DryRun is { } dry)
            return new Dictionary<string, object?> { ["dry_run"] = new Dictionary<string, object?> { ["script"] = dry.ScriptPath, ["trials"] = dry.Trials, ["work"] = ScaleOut?.Folder } };
        var report = Report();
        if (ScaleOut is { } so)
            report["scale_out"] = new Dictionary<string, object?>
            {
                ["work"] = so.Folder, ["launcher"] = so.Launcher, ["rounds"] = so.Rounds, ["trials"] = so.Trials, ["resumed"] = so.Resumed, ["retried"] = so.Retried,
            };
        return report;
    }

    private Dictionary<string, object?> Report()
    {
        Dictionary<string, object?> report;
        if (Hessian is { } h)
        {
            report = Common(h.Baseline, h.Quantized, h.Evaluations, h.Seconds, [], h.WeightBits.ToDictionary(kv => kv.Key, kv => (int?)kv.Value));
            report["chosen_activations"] = h.ActivationBits;
            report["hessian"] = new Dictionary<string, object?>
            {
                ["method"] = "Hutchinson Hessian trace per layer, weight sensitivity ½·Tr(H)/n·‖W − Q(W)‖² raised to the measured loss increase of each layer alone, activation sensitivity the measured loss increase of each layer alone, CP-SAT under the budget; the best allocations' whole-plan loss measured, the least-loss finalists scored",
                ["mean_hessian_diagonal"] = h.Traces, ["activations"] = h.ActivationBits, ["bops"] = h.Bops,
                ["budget"] = new Dictionary<string, object?> { ["kind"] = h.Budget.Name, ["limit"] = h.Budget.Value, ["cost"] = h.Cost },
                ["candidates"] = h.Candidates.Select(c => new Dictionary<string, object?>
                {
                    ["rank"] = c.Rank, ["weights"] = c.Widths.ToDictionary(kv => kv.Key, kv => kv.Value.Weights), ["activations"] = c.Widths.ToDictionary(kv => kv.Key, kv => kv.Value.Activations),
                    ["sensitivity"] = c.Sensitivity, ["cost"] = c.Cost, ["loss_increase"] = c.LossIncrease, ["score"] = c.Score?.Driving, ["kept"] = c.Kept,
                }).ToList(),
                ["float_pass_equivalents"] = h.PassEquivalents,
            };
        }
        else if (Settings.Widths is { } w)
            report = Common(Baseline, Quantized, 2, 0, [], new Dictionary<string, int?> { ["conv_weights"] = w.Conv, ["fc_weights"] = w.Fc, ["activations"] = w.Activations });
        else if (Sweeps is { } r)
        {
            report = Common(r.Baseline, r.Quantized, r.Evaluations, r.Seconds,
                r.Sweeps, new Dictionary<string, int?> { ["conv_weights"] = r.ConvWeightBits, ["fc_weights"] = r.FcWeightBits, ["activations"] = r.ActivationBits });
            report["combined"] = r.Combined.Select(t => new Dictionary<string, object?>
            {
                ["conv_weights"] = t.ConvWeightBits, ["fc_weights"] = t.FcWeightBits, ["activations"] = t.ActivationBits,
                ["top1"] = t.Top1, ["top5"] = t.Top5, ["score"] = t.Score, ["step"] = t.Step, ["widened"] = t.Widened, ["kept"] = t.Kept,
            }).ToList();
            report["widening_keeps"] = r.CheapestKept ? "fewest_bops_within_margin" : "best_score";
            if (r.WeightCandidates.Count > 0)
                report["weight_length_candidates"] = r.WeightCandidates.Select(c => new Dictionary<string, object?>
                {
                    ["part"] = c.Part, ["bits"] = c.Bits, ["criterion"] = c.Criterion, ["top1"] = c.Top1, ["top5"] = c.Top5, ["score"] = c.Score, ["kept"] = c.Kept,
                }).ToList();
            if (PerLayer is var (layered, typeBops))
                report["per_layer"] = PerLayerJson(layered, typeBops);
        }
        else if (MiniFloat is { } m)
        {
            report = Common(m.Baseline, m.Quantized, m.Evaluations, m.Seconds,
                m.Sweeps, new Dictionary<string, int?> { ["bits"] = m.Bits, ["exp_bits"] = m.ExponentBits, ["mant_bits"] = m.Bits - 1 - m.ExponentBits });
            if (m.LrnExponentBits.Count > 0)
                report["lrn_exp_bits"] = m.LrnExponentBits.ToDictionary(kv => kv.Key, kv => kv.Value);
        }
        else
        {
            var p = PowerOfTwo!;
            report = Common(p.Baseline, p.Quantized, p.Evaluations, p.Seconds,
                [], new Dictionary<string, int?> { ["exp_min"] = p.MinExponent, ["exp_max"] = p.MaxExponent, ["activations"] = p.ActivationBits });
        }
        if (Cost is { } cost)
            report["search_cost"] = new Dictionary<string, object?>
            {
                ["float_pass_equivalents"] = cost.PassEquivalents, ["evaluations"] = cost.Evaluations, ["evaluated_images"] = cost.EvaluatedImages,
                ["calibration_images"] = cost.CalibrationImages, ["loss_images"] = cost.LossImages, ["hessian_vector_product_images"] = cost.ProductImages,
                ["passes_per_hessian_vector_product"] = SearchCost.PassesPerProduct,
            };
        if (LayerSqnr is { } sqnr)
            report["per_layer_sqnr_db"] = sqnr.ToDictionary(l => l.Layer, l => l.SqnrDb);
        if (Refinement is { } refined)
            foreach (var (key, value) in refined.ToJson())
                report[key] = value;
        report["metric"] = Settings.EffectiveMargin.Metric.Key;
        return report;
    }

    private static Dictionary<string, object?> PerLayerJson(PerLayerResult r, double perTypeBops) => new()
    {
        ["method"] = "greedy by BOPs saved, 16→8→4→2→1 per layer and part, kept while within the margin",
        ["layers"] = r.Widths.ToDictionary(kv => kv.Key, kv => new Dictionary<string, int> { ["weights"] = kv.Value.Weights, ["activations"] = kv.Value.Activations }),
        ["bops"] = r.Final.Bops,
        ["per_type_bops"] = perTypeBops,
        ["top1"] = r.Final.Top1,
        ["top5"] = r.Final.Top5,
        ["pareto"] = r.ParetoFront.Select(p => new Dictionary<string, object> { ["bops"] = p.Bops, ["top1"] = p.Top1, ["plan"] = p.Description }).ToList(),
        ["budget_exhausted"] = r.BudgetExhausted,
        ["evaluations"] = r.Evaluations,
        ["seconds"] = Math.Round(r.Seconds, 3),
    };

    private static Dictionary<string, object?> Common(EvalResult baseline, EvalResult quantized, int evaluations, double seconds,
        IReadOnlyList<SweepPoint> sweeps, Dictionary<string, int?> chosen) => new()
    {
        ["baseline"] = JobJson.Scores(baseline),
        ["sweeps"] = sweeps.Select(p => new Dictionary<string, object> { ["part"] = p.Part, ["bits"] = p.Bits, ["top1"] = p.Top1, ["top5"] = p.Top5, ["score"] = p.Score }).ToList(),
        ["chosen"] = chosen,
        ["quantized"] = JobJson.Scores(quantized),
        ["evaluations"] = evaluations,
        ["seconds"] = Math.Round(seconds, 3),
    };
}
