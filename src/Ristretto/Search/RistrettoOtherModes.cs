using System.Diagnostics;
using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// Ristretto's minifloat and power-of-two-weights modes over every convolution and inner product.
/// Minifloat: <c>exp_bits = max(4, ceil(log2(log2(max) − 1) + 1))</c> with max the largest calibrated
/// layer input or output; total widths 16 and 8 (while <c>bw − 1 − exp_bits &gt; 0</c>), mantissa
/// <c>bw − exp_bits − 1</c>; weights, biases, inputs and outputs all in that format. LRN layers, which Ristretto's tool
/// left in float (its <c>LRNRistretto</c> was written by hand), compute in a minifloat of the same width whose exponent
/// holds their window sum of squares. Power of two:
/// weights <c>±2^e</c>, e in [exp_min, exp_max] (Ristretto: −8 … −1), zero kept as zero (Ristretto made it
/// 2^exp_min); activations 8-bit dynamic fixed point; the bias, which Ristretto left in float, in 8-bit
/// dynamic fixed point (it is added to the accumulator, not multiplied).
/// </summary>
public sealed class RistrettoOtherModes
{
    /// <summary>What plans are scored by (default top-1); the margin is the metric's (<see cref="Metric.Threshold"/>).</summary>
    public Metric Metric { get; init; } = Metric.Top1;

    /// <summary>Whether agreement, SQNR and cosine are measured on every plan scored (<see cref="Evaluation.EvalResult.Metrics"/>).</summary>
    public bool MeasureFidelity { get; init; }

    /// <summary>How the power-of-two mode's dynamic-fixed-point activations and biases are fitted (default: <see cref="RangeRules.Default"/>).</summary>
    public RangeRules Rules { get; init; } = RangeRules.Default;

    private readonly Network _network;
    private readonly IReadOnlyDictionary<string, LayerRange> _ranges;
    private readonly ImageDataset _test;
    private readonly int _iterations;
    private readonly int _batchSize;

    /// <summary>Prepares the searches; <paramref name="iterations"/> test batches of <paramref name="batchSize"/> score each plan.</summary>
    public RistrettoOtherModes(Network network, IReadOnlyDictionary<string, LayerRange> ranges, ImageDataset test, int iterations, int batchSize)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _ranges = ranges ?? throw new ArgumentNullException(nameof(ranges));
        _test = test ?? throw new ArgumentNullException(nameof(test));
        _iterations = iterations;
        _batchSize = batchSize;
    }

    /// <summary>Ristretto's exponent-width rule for the largest magnitude <paramref name="max"/>.</summary>
    public static int ExponentBitsFor(double max)
    {
        double inner = Math.Log2(max) - 1;
        if (!(inner > 0))
            return 4;
        return Math.Max(4, (int)Math.Ceiling(Math.Log2(inner) + 1));
    }

    /// <summary>Runs the minifloat sweep; <paramref name="marginPoints"/> is the allowed top-1 drop in points.</summary>
    public MiniFloatSearchResult MiniFloat(double marginPoints, Action<int, string>? progress = null, CancellationToken cancel = default)
    {
        Metric.Threshold(0, marginPoints); // validates before any evaluation
        var watch = Stopwatch.StartNew();
        using var scorer = Open(progress, cancel);
        double max = Weighted().Max(name => Math.Max(_ranges[name].Input, _ranges[name].Output));
        int exp = ExponentBitsFor(max);
        if (exp > 8)
            throw new RistrettoException($"minifloat: activations reach {max:G3}, which needs {exp} exponent bits (at most 8)");
        var lrnExp = LrnExponentBits(exp);
        // One round: the baseline and every width (read until the first below the threshold).
        var widths = new[] { 16, 8 }.Where(b => b - 1 - exp > 0).ToList();
        var plans = widths.Select(bits => MiniFloatPlan(exp, bits, lrnExp)).ToList();
        var round = scorer.Score([new Candidate("float32 baseline", QuantizationPlan.Float), .. widths.Select((bits, i) => new Candidate($"minifloat {bits}-bit", plans[i]))]);
        var baseline = round[0];
        var sweeps = new List<SweepPoint>();
        int? chosen = null;
        QuantizationPlan? last = null;
        EvalResult? lastScore = null;
        for (int i = 0; i < widths.Count; i++)
        {
            var r = round[i + 1];
            sweeps.Add(new SweepPoint("minifloat", widths[i], r.Top1, r.Top5, r.Driving));
            if (r.Driving < scorer.ThresholdOf(baseline, marginPoints))
                break;
            (chosen, last, lastScore) = (widths[i], plans[i], r);
        }
        if (last is null)
        {
            last = MiniFloatPlan(exp, 16, lrnExp);
            lastScore = scorer.ScoreOne(last, "minifloat 16-bit");
        }
        return new MiniFloatSearchResult(baseline, exp, sweeps, chosen, lastScore!, last, scorer.Evaluations, watch.Elapsed.TotalSeconds)
        {
            LrnExponentBits = lrnExp,
        };
    }

    /// <summary>Scores the power-of-two-weights plan once.</summary>
    public PowerOfTwoResult PowerOfTwo(int minExponent = -8, int maxExponent = -1, int activationBits = 8,
        Action<int, string>? progress = null, CancellationToken cancel = default)
    {
        var watch = Stopwatch.StartNew();
        using var scorer = Open(progress, cancel);
        var weights = new PowerOfTwo(minExponent, maxExponent);
        var layers = Weighted().ToDictionary(name => name, name =>
        {
            var range = _ranges[name];
            return new LayerQuantization(weights, Rules.Bias(activationBits, range.Bias), Rules.Input(activationBits, range), Rules.Output(activationBits, range));
        });
        var plan = new QuantizationPlan(layers, $"power-of-two weights 2^[{minExponent},{maxExponent}], {activationBits}-bit dynamic fixed point activations and biases");
        var scores = scorer.Score([new Candidate("float32 baseline", QuantizationPlan.Float), new Candidate("power-of-two weights", plan)]);
        var (baseline, quantized) = (scores[0], scores[1]);
        return new PowerOfTwoResult(baseline, minExponent, maxExponent, activationBits, quantized, plan, scorer.Evaluations, watch.Elapsed.TotalSeconds);
    }

    /// <summary>Where rounds of candidates are scored (a folder of trials and a launcher); null: in this process.</summary>
    public IEvaluatorSource? Trials { get; init; }

    private PlanEvaluator Open(Action<int, string>? progress, CancellationToken cancel) =>
        Trials?.Open(Metric, MeasureFidelity, progress, cancel)
        ?? PlanEvaluator.InProcess(_network, _test, _iterations, _batchSize, Metric, MeasureFidelity, progress, cancel);

    private QuantizationPlan MiniFloatPlan(int exp, int bits, IReadOnlyDictionary<string, int> lrnExp)
    {
        var format = new MiniFloat(exp, bits - 1 - exp);
        var layers = Weighted().ToDictionary(name => name, _ => new LayerQuantization(format, format, format, format));
        foreach (var (name, e) in lrnExp)
        {
            var lrn = new MiniFloat(e, Math.Max(0, bits - 1 - e));
            layers[name] = new LayerQuantization(Input: lrn, Output: lrn);
        }
        string lrnNote = lrnExp.Count == 0 ? "" : $"; LRN layers {bits}-bit with their own exponent ({string.Join(", ", lrnExp.Select(kv => $"{kv.Key} {kv.Value}"))})";
        return new QuantizationPlan(layers, $"minifloat: {bits}-bit (exponent {exp}, mantissa {bits - 1 - exp}) everywhere{lrnNote}");
    }

    /// <summary>
    /// Each LRN layer's exponent width: Ristretto's rule applied to the largest value its arithmetic can reach, the
    /// window sum of squares (window × max input²), and at least the network's <paramref name="exp"/>.
    /// </summary>
    private Dictionary<string, int> LrnExponentBits(int exp)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in _network.Nodes)
        {
            if (node.Layer is not LrnLayer lrn || !_ranges.TryGetValue(lrn.LayerName, out var range))
                continue;
            double window = lrn.WithinChannel ? (double)lrn.Size * lrn.Size : lrn.Size;
            double reach = Math.Max(Math.Max(range.Input, range.Output), window * range.Input * range.Input);
            result[lrn.LayerName] = Math.Clamp(ExponentBitsFor(reach), exp, 8);
        }
        return result;
    }

    private IEnumerable<string> Weighted() => _network.Nodes.Where(n => n.Layer is IWeightedLayer).Select(n => n.Layer.LayerName);
}
