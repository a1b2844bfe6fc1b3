using System.Diagnostics;
using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Hardware;
using Ristretto.Layers;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// Ristretto's dynamic-fixed-point procedure: score the float network; sweep, each from the float network,
/// (a) all convolution weights, (b) all fully connected weights, (c) all conv/FC inputs and outputs, over
/// 16, 8, 4, 2, 1 bits, stopping at the first width whose top-1 falls below baseline − margin (the chosen
/// width is the last that passed); then score the three choices combined. Ristretto stopped there even when the
/// combined plan missed the margin; here (unless <see cref="WidenToMargin"/> is off) each step scores every
/// part one width wider and keeps the cheapest of those plans that meets the margin, or the best-scoring while none does
/// (<see cref="WidenToCheapest"/>), until the combined plan meets the margin.
/// Integer lengths come from
/// calibration by <see cref="RangeRules"/> (by default lengths that hold the maximum, unsigned non-negative tensors, a
/// bias format of its own; <see cref="RangeRules.Ristretto"/>: Ristretto's). The same sweeps run for other formats (integer schemes) through a
/// <see cref="LayerFormats"/> factory and their own list of widths.
/// </summary>
public sealed class RistrettoDfpSearch
{
    /// <summary>The widths tried, in order.</summary>
    public static readonly int[] Widths = [16, 8, 4, 2, 1];

    private readonly Network _network;
    private readonly IReadOnlyDictionary<string, LayerRange> _ranges;
    private readonly ImageDataset _test;
    private readonly int _batchSize;
    private readonly int _iterations;
    private readonly LayerFormats _formats;
    private readonly string _label;

    /// <summary>Prepares the search; <paramref name="iterations"/> test batches of <paramref name="batchSize"/> score each candidate.</summary>
    /// <param name="network">The float network.</param>
    /// <param name="ranges">Calibrated ranges per weighted layer.</param>
    /// <param name="test">Test set.</param>
    /// <param name="iterations">Test batches per evaluation.</param>
    /// <param name="batchSize">Test batch size.</param>
    /// <param name="formats">The formats of a layer at given widths (default: dynamic fixed point by <see cref="RangeRules.Default"/>).</param>
    /// <param name="widths">The widths swept, widest first (default: <see cref="Widths"/>).</param>
    /// <param name="label">What the plans are called.</param>
    public RistrettoDfpSearch(Network network, IReadOnlyDictionary<string, LayerRange> ranges, ImageDataset test, int iterations, int batchSize,
        LayerFormats? formats = null, IReadOnlyList<int>? widths = null, string label = "dynamic fixed point")
    {
        _formats = formats ?? RangeRules.Default.DynamicFixedPoint;
        SweepWidths = widths ?? Widths;
        _label = label;
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _ranges = ranges ?? throw new ArgumentNullException(nameof(ranges));
        _test = test ?? throw new ArgumentNullException(nameof(test));
        _iterations = iterations;
        _batchSize = batchSize;
    }

    /// <summary>The three parts the sweeps trim, in the order they run.</summary>
    public static IReadOnlyList<string> Parts { get; } = ["conv weights", "fc weights", "activations"];

    /// <summary>
    /// Upper bound on the evaluations a run makes without widening (for progress bars); a widening step adds
    /// up to three.
    /// </summary>
    public int MaxEvaluations => 2 + (AlternativeWeights is null ? 3 : 5) * SweepWidths.Count;

    /// <summary>
    /// A second rule for the weights' formats (null: none). A weight cell (conv or FC weights at one width) where it gives any
    /// layer of the cell other weight formats than the search's own is scored with those too, one more evaluation, and the
    /// better-scoring formats are kept (equal scores: the search's own) for that cell, the combined plan and the widening steps
    /// (<see cref="DfpSearchResult.WeightCandidates"/>). Only the weights are taken from it. The default quantize sweep
    /// passes the network-output-error lengths here beside the histogram error's: at 2 bits train seed 4's conv2 needs the
    /// first's length, seed 3's the second's, and neither criterion picks the better length on both.
    /// </summary>
    public LayerFormats? AlternativeWeights { get; init; }

    /// <summary>
    /// Whether a combined plan that misses the margin is widened until it meets it (default), or kept and
    /// reported as it was, as Ristretto did.
    /// </summary>
    public bool WidenToMargin { get; init; } = true;

    /// <summary>
    /// Which plan a widening step keeps. True (default): of the tries that meet the margin, the one of fewest BOPs (the
    /// better score among equals), and the best-scoring try when none does; the search is after the smallest plan within the
    /// margin, and the best-scoring try can be a wider part than needed (4/2/8 at 66.9 M BOPs kept over 2/4/8 at 43.2 M, both
    /// within the margin, on a LeNet of train seed 2). False: always the best-scoring try (the rule before issue 15, which
    /// <c>--compat ristretto</c> keeps so that its table stays reproducible).
    /// </summary>
    public bool WidenToCheapest { get; init; } = true;

    /// <summary>What plans are scored by (default top-1); the margin is the metric's (<see cref="Metric.Threshold"/>).</summary>
    public Metric Metric { get; init; } = Metric.Top1;

    /// <summary>Whether agreement, SQNR and cosine are measured on every plan scored (<see cref="Evaluation.EvalResult.Metrics"/>).</summary>
    public bool MeasureFidelity { get; init; }

    /// <summary>The widths this search sweeps.</summary>
    public IReadOnlyList<int> SweepWidths { get; }

    /// <summary>Ristretto's formats: DFP with integer lengths from the calibrated maxima; the bias shares the weights' format.</summary>
    public static LayerQuantization DynamicFixedPointFormats(string layer, LayerRange range, int? weightBits, int? activationBits)
    {
        ArgumentNullException.ThrowIfNull(range);
        NumberFormat? weights = weightBits is { } wb ? DynamicFixedPoint.FromMaxAbs(wb, range.Weights, isWeights: true) : null;
        NumberFormat? input = activationBits is { } ab ? DynamicFixedPoint.FromMaxAbs(ab, range.Input, isWeights: false) : null;
        NumberFormat? output = activationBits is { } ob ? DynamicFixedPoint.FromMaxAbs(ob, range.Output, isWeights: false) : null;
        return new LayerQuantization(weights, weights, input, output);
    }

    /// <summary>
    /// Runs the procedure. <paramref name="marginPoints"/> is the allowed top-1 drop in percentage points.
    /// <paramref name="progress"/> receives (evaluations done, description) after each evaluation.
    /// </summary>
    public DfpSearchResult Run(double marginPoints, Action<int, string>? progress = null, CancellationToken cancel = default)
    {
        Metric.Threshold(0, marginPoints); // validates before any evaluation
        var watch = Stopwatch.StartNew();
        _alternative.Clear();
        _candidates.Clear();
        using var scorer = Open(progress, cancel);

        // Round 1: the baseline and every sweep point (each sweep is read until its first width below the threshold;
        // points past it are scored only when a fanned-out run scores the round ahead, and are dropped).
        var convs = Convolutions();
        var fcs = LayersOf<InnerProductLayer>();
        var macs = BitOperations.Macs(_network);
        Func<int, QuantizationPlan>?[] planFor =
        [
            convs.Count > 0 ? b => Plan(b, null, null, convs, fcs) : null,
            fcs.Count > 0 ? b => Plan(null, b, null, convs, fcs) : null,
            convs.Count + fcs.Count > 0 ? b => Plan(null, null, b, convs, fcs) : null,
        ];
        var round = new List<Candidate> { new("float32 baseline", QuantizationPlan.Float) };
        var entry = new Dictionary<(int Part, int Bits), int>();
        for (int part = 0; part < Parts.Count; part++)
            if (planFor[part] is { } make)
                foreach (int bits in SweepWidths)
                {
                    entry[(part, bits)] = round.Count;
                    round.Add(new Candidate($"{Parts[part]} {bits}-bit", make(bits)));
                }
        var first = scorer.Score(round);
        var baseline = first[0];
        double threshold = scorer.ThresholdOf(baseline, marginPoints);
        var sweeps = new List<SweepPoint>();
        int? Sweep(int part)
        {
            if (planFor[part] is null)
                return null;
            int? chosen = null;
            foreach (int bits in SweepWidths)
            {
                var r = first[entry[(part, bits)]];
                if (part < 2 && AlternativeWeights is not null && round[entry[(part, bits)]].Plan is var own
                    && WithAlternative(own, bits, part == 0 ? convs : fcs) is { } other)
                {
                    var o = scorer.ScoreOne(other, $"{Parts[part]} {bits}-bit, network output error lengths");
                    bool alternative = o.Driving > r.Driving;
                    _candidates.Add(new WeightCandidate(Parts[part], bits, "histogram", r.Top1, r.Top5, r.Driving, !alternative));
                    _candidates.Add(new WeightCandidate(Parts[part], bits, "output", o.Top1, o.Top5, o.Driving, alternative));
                    if (alternative)
                    {
                        _alternative.Add((part, bits));
                        r = o;
                    }
                }
                sweeps.Add(new SweepPoint(Parts[part], bits, r.Top1, r.Top5, r.Driving));
                if (r.Driving < threshold)
                    break;
                chosen = bits;
            }
            return chosen;
        }

        int? conv = Sweep(0);
        int? fc = Sweep(1);
        int? act = Sweep(2);
        int?[] chosen = [conv, fc, act];
        var plan = Plan(chosen[0], chosen[1], chosen[2], convs, fcs);
        var quantized = scorer.ScoreOne(plan, "combined");
        var combined = new List<CombinedTry> { new(chosen[0], chosen[1], chosen[2], quantized.Top1, quantized.Top5, 0, null, true, quantized.Driving) };
        for (int step = 1; WidenToMargin && quantized.Driving < threshold; step++)
        {
            // One round per step: every part one width wider; the best-scoring plan (the first of equals) is kept.
            var tries = new List<(int?[] Widths, Candidate Candidate, string Widened)>();
            for (int part = 0; part < Parts.Count; part++)
            {
                if (chosen[part] is not { } bits)
                    continue;
                int?[] wider = [.. chosen];
                wider[part] = Wider(bits);
                string widened = $"{Parts[part]} to {Bits(wider[part])}";
                tries.Add((wider, new Candidate($"combined, {widened}", Plan(wider[0], wider[1], wider[2], convs, fcs)), widened));
            }
            if (tries.Count == 0)
                break; // every part is float32 already
            var scores = scorer.Score(tries.Select(t => t.Candidate).ToList());
            (int?[] Widths, QuantizationPlan Plan, EvalResult Score, int Entry, double Bops)? best = null;
            for (int i = 0; i < tries.Count; i++)
            {
                var (wider, candidate, widened) = tries[i];
                var r = scores[i];
                combined.Add(new CombinedTry(wider[0], wider[1], wider[2], r.Top1, r.Top5, step, widened, false, r.Driving));
                var tried = (wider, candidate.Plan, r, combined.Count - 1, BitOperations.Of(candidate.Plan, macs));
                if (best is null || Better(tried, best.Value))
                    best = tried;
            }
            var kept = best!.Value;
            combined[kept.Entry] = combined[kept.Entry] with { Kept = true };
            (chosen, plan, quantized) = (kept.Widths, kept.Plan, kept.Score);
        }
        return new DfpSearchResult(baseline, sweeps, chosen[0], chosen[1], chosen[2], quantized, plan, scorer.Evaluations, watch.Elapsed.TotalSeconds, combined, threshold)
            { CheapestKept = WidenToCheapest, WeightCandidates = [.. _candidates] };

        // Whether a widening try is kept over the best so far (the first of equals stays).
        bool Better((int?[] Widths, QuantizationPlan Plan, EvalResult Score, int Entry, double Bops) a, (int?[] Widths, QuantizationPlan Plan, EvalResult Score, int Entry, double Bops) b)
        {
            if (WidenToCheapest)
            {
                bool aMeets = a.Score.Driving >= threshold, bMeets = b.Score.Driving >= threshold;
                if (aMeets != bMeets)
                    return aMeets;
                if (aMeets && a.Bops != b.Bops)
                    return a.Bops < b.Bops;
            }
            return a.Score.Driving > b.Score.Driving;
        }
    }

    /// <summary>Where the rounds are scored: <see cref="Trials"/>, or in process.</summary>
    private PlanEvaluator Open(Action<int, string>? progress, CancellationToken cancel) =>
        Trials?.Open(Metric, MeasureFidelity, progress, cancel)
        ?? PlanEvaluator.InProcess(_network, _test, _iterations, _batchSize, Metric, MeasureFidelity, progress, cancel);

    /// <summary>Where rounds of candidates are scored (a folder of trials and a launcher); null: in this process.</summary>
    public IEvaluatorSource? Trials { get; init; }

    /// <summary>The next wider width swept before <paramref name="bits"/>, or null (float32) from the widest.</summary>
    private int? Wider(int bits)
    {
        int at = SweepWidths.ToList().IndexOf(bits);
        return at > 0 ? SweepWidths[at - 1] : null;
    }

    /// <summary>Scores the float network and <paramref name="plan"/> (two evaluations, as the search scores them).</summary>
    public (EvalResult Baseline, EvalResult Quantized) Score(QuantizationPlan plan, Action<int, string>? progress = null, CancellationToken cancel = default)
    {
        using var scorer = Open(progress, cancel);
        var scores = scorer.Score([new Candidate("float32 baseline", QuantizationPlan.Float), new Candidate("plan", plan)]);
        return (scores[0], scores[1]);
    }

    /// <summary>
    /// The plan with conv weights at <paramref name="convBits"/>, FC weights at <paramref name="fcBits"/> and
    /// every conv/FC input and output at <paramref name="activationBits"/> (null: float32).
    /// </summary>
    public QuantizationPlan Plan(int? convBits, int? fcBits, int? activationBits) =>
        Plan(convBits, fcBits, activationBits, Convolutions(), LayersOf<InnerProductLayer>());

    private QuantizationPlan Plan(int? convBits, int? fcBits, int? activationBits, List<string> convs, List<string> fcs)
    {
        var layers = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        foreach (var name in convs.Concat(fcs))
        {
            bool conv = convs.Contains(name);
            int? weightBits = conv ? convBits : fcBits;
            layers[name] = _formats(name, _ranges[name], weightBits, activationBits);
            if (weightBits is { } wb && AlternativeWeights is { } alternative && _alternative.Contains((conv ? 0 : 1, wb)))
                layers[name] = layers[name] with { Weights = alternative(name, _ranges[name], wb, activationBits).Weights };
        }
        return new QuantizationPlan(layers, $"{_label}: conv {Bits(convBits)}, fc {Bits(fcBits)}, activations {Bits(activationBits)}");
    }

    /// <summary>
    /// <paramref name="plan"/> with the weights of <paramref name="cell"/>'s layers in <see cref="AlternativeWeights"/>' formats, or
    /// null when those are the plan's own for every layer of the cell.
    /// </summary>
    private QuantizationPlan? WithAlternative(QuantizationPlan plan, int bits, List<string> cell)
    {
        var layers = new Dictionary<string, LayerQuantization>(plan.Layers, StringComparer.Ordinal);
        bool differs = false;
        foreach (var name in cell)
        {
            var own = layers[name];
            if (own.Weights is null)
                continue;
            var other = AlternativeWeights!(name, _ranges[name], bits, null).Weights;
            if (other is not null && !other.Equals(own.Weights))
            {
                layers[name] = own with { Weights = other };
                differs = true;
            }
        }
        return differs ? new QuantizationPlan(layers, plan.Description + " (network output error lengths)") : null;
    }

    // The weight cells whose alternative formats are kept (part, width), and every pair of candidates scored, of the current run.
    private readonly HashSet<(int Part, int Bits)> _alternative = [];
    private readonly List<WeightCandidate> _candidates = [];

    private static string Bits(int? b) => b is { } v ? $"{v}-bit" : "float32";

    /// <summary>The layers the conv sweep trims: convolutions and deconvolutions (Ristretto matched "Convolution" in the type).</summary>
    private List<string> Convolutions() =>
        _network.Nodes.Where(n => n.Layer is ConvolutionLayer or DeconvolutionLayer).Select(n => n.Layer.LayerName).ToList();

    private List<string> LayersOf<T>() where T : Layer =>
        _network.Nodes.Where(n => n.Layer is T).Select(n => n.Layer.LayerName).ToList();
}
