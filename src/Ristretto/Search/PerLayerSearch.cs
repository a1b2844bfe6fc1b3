using System.Diagnostics;
using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Hardware;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// Per-layer dynamic-fixed-point search, greedy by cost: every weighted layer starts at 16-bit weights and
/// 16-bit activations (input and output). Each round tries halving one layer's weight or activation width
/// (16 → 8 → 4 → 2 → 1), the move that saves the most BOPs first, and keeps it if top-1 stays within
/// baseline − margin; a move that fails freezes that part of that layer. It ends when no move is left or
/// the time budget is spent (then the last accepted plan is the result). Deterministic: no randomness.
/// </summary>
public sealed class PerLayerSearch
{
    /// <summary>What plans are scored by (default top-1); the margin is the metric's (<see cref="Metric.Threshold"/>).</summary>
    public Metric Metric { get; init; } = Metric.Top1;

    /// <summary>Whether agreement, SQNR and cosine are measured on every plan scored (<see cref="Evaluation.EvalResult.Metrics"/>).</summary>
    public bool MeasureFidelity { get; init; }

    private static readonly int[] Ladder = [16, 8, 4, 2, 1];

    private readonly Network _network;
    private readonly IReadOnlyDictionary<string, LayerRange> _ranges;
    private readonly ImageDataset _test;
    private readonly int _iterations, _batchSize;
    private readonly IReadOnlyDictionary<string, long> _macs;

    /// <summary>Prepares the search; <paramref name="iterations"/> test batches of <paramref name="batchSize"/> score each plan.</summary>
    public PerLayerSearch(Network network, IReadOnlyDictionary<string, LayerRange> ranges, ImageDataset test, int iterations, int batchSize)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _ranges = ranges ?? throw new ArgumentNullException(nameof(ranges));
        _test = test ?? throw new ArgumentNullException(nameof(test));
        _iterations = iterations;
        _batchSize = batchSize;
        _macs = BitOperations.Macs(network);
    }

    /// <summary>BOPs of a plan on this network.</summary>
    public double Cost(QuantizationPlan plan) => BitOperations.Of(plan, _macs);

    /// <summary>Where rounds of candidates are scored (a folder of trials and a launcher); null: in this process.</summary>
    public IEvaluatorSource? Trials { get; init; }

    /// <summary>How formats are fitted to the calibrated ranges (default: <see cref="RangeRules.Default"/>).</summary>
    public RangeRules Rules { get; init; } = RangeRules.Default;

    /// <summary>Runs the search within <paramref name="timeBudget"/> (null: no limit).</summary>
    public PerLayerResult Run(double marginPoints, TimeSpan? timeBudget = null, Action<int, string>? progress = null, CancellationToken cancel = default)
    {
        Metric.Threshold(0, marginPoints); // validates before any evaluation
        var watch = Stopwatch.StartNew();
        using var scorer = Trials?.Open(Metric, MeasureFidelity, progress, cancel)
            ?? PlanEvaluator.InProcess(_network, _test, _iterations, _batchSize, Metric, MeasureFidelity, progress, cancel);
        var scored = new List<CostPoint>();
        CostPoint Point(QuantizationPlan plan, string what, EvalResult r)
        {
            var point = new CostPoint(what, Cost(plan), r.Driving, r.Top5);
            scored.Add(point);
            return point;
        }

        var layers = _macs.Keys.ToList();
        var widths = layers.ToDictionary(l => l, _ => (Weights: 16, Activations: 16), StringComparer.Ordinal);
        var start = Plan(widths);
        var opening = scorer.Score([new Candidate("float32 baseline", QuantizationPlan.Float), new Candidate("all layers 16/16", start)]);
        var baseline = opening[0];
        scored.Add(new CostPoint("float32", Cost(QuantizationPlan.Float), baseline.Driving, baseline.Top5));
        double threshold = scorer.ThresholdOf(baseline, marginPoints);
        var current = Point(start, "all layers 16/16", opening[1]);
        var frozen = new HashSet<(string, bool)>();
        bool exhausted = false;
        while (!exhausted)
        {
            var moves = layers.SelectMany(l => new[] { (Layer: l, Weights: true), (Layer: l, Weights: false) })
                .Where(m => !frozen.Contains((m.Layer, m.Weights)) && Next(m.Weights ? widths[m.Layer].Weights : widths[m.Layer].Activations) is not null)
                .Select(m => (Move: m, Widths: Apply(widths, m.Layer, m.Weights)))
                .OrderBy(m => Cost(Plan(m.Widths)))
                .ThenBy(m => layers.IndexOf(m.Move.Layer)).ThenBy(m => m.Move.Weights ? 0 : 1)
                .ToList();
            if (moves.Count == 0)
                break;
            // One round: the step's moves in order (the first few a launcher runs at once). A move that fails is frozen
            // and leaves the widths as they were, so the next move of the round is the one the next step would try; the
            // first that passes is kept, and the moves after it (scored ahead by a fanned-out run) are dropped.
            var round = moves.Take(Math.Max(1, scorer.Lookahead))
                .Select(m =>
                {
                    var (w, a) = m.Widths[m.Move.Layer];
                    return (m.Move, m.Widths, Candidate: new Candidate(
                        $"{m.Move.Layer} {(m.Move.Weights ? "weights" : "activations")} → {(m.Move.Weights ? w : a)}-bit", Plan(m.Widths)));
                })
                .ToList();
            if (timeBudget is { } budget && watch.Elapsed > budget)
            {
                exhausted = true;
                break;
            }
            var scores = scorer.Score(round.Select(r => r.Candidate).ToList());
            for (int i = 0; i < round.Count; i++)
            {
                if (i > 0 && timeBudget is { } b && watch.Elapsed > b)
                {
                    exhausted = true;
                    break;
                }
                var (move, next, candidate) = round[i];
                var point = Point(candidate.Plan, candidate.What, scores[i]);
                if (point.Top1 >= threshold)
                {
                    widths = next;
                    current = point;
                    break;
                }
                frozen.Add((move.Layer, move.Weights));
            }
        }
        var plan = Plan(widths);
        var final = current with { Description = "per-layer result" };
        return new PerLayerResult(baseline, widths, plan, final, scored, ParetoFront.Of(scored, p => p.Bops, p => p.Top1), exhausted, scorer.Evaluations, watch.Elapsed.TotalSeconds);
    }

    /// <summary>The plan for given per-layer widths (formats fitted to the calibrated ranges by <see cref="Rules"/>).</summary>
    public QuantizationPlan Plan(IReadOnlyDictionary<string, (int Weights, int Activations)> widths)
    {
        var layers = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        foreach (var (name, (w, a)) in widths)
        {
            layers[name] = Rules.DynamicFixedPoint(name, _ranges[name], w, a);
        }
        return new QuantizationPlan(layers, "per-layer dynamic fixed point: " + string.Join(", ", widths.Select(kv => $"{kv.Key} {kv.Value.Weights}/{kv.Value.Activations}")));
    }

    private static int? Next(int bits)
    {
        int i = Array.IndexOf(Ladder, bits);
        return i >= 0 && i + 1 < Ladder.Length ? Ladder[i + 1] : null;
    }

    private static Dictionary<string, (int Weights, int Activations)> Apply(
        IReadOnlyDictionary<string, (int Weights, int Activations)> widths, string layer, bool weights)
    {
        var copy = widths.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var (w, a) = copy[layer];
        copy[layer] = weights ? (Next(w)!.Value, a) : (w, Next(a)!.Value);
        return copy;
    }
}
