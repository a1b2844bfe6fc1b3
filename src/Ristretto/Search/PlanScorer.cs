using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Search;

/// <summary>
/// Scores plans on a network (top-1/top-5 on the first test batches) and counts the evaluations. A plan that
/// leaves the first layers in float32 reuses their outputs: the float prefix before the first quantized node is
/// computed once per cut point and kept (up to <see cref="CacheBytes"/>), and only the rest of the network runs.
/// The results are the same bits as a full pass.
/// </summary>
internal sealed class PlanScorer(Network network, ImageDataset test, int iterations, int batchSize,
    Action<int, string>? progress, CancellationToken cancel) : IDisposable
{
    /// <summary>Most bytes of cached prefix activations kept at once.</summary>
    public const long CacheBytes = 1L << 30;

    private readonly Dictionary<int, List<Dictionary<string, Tensor>>> _prefixes = [];
    private readonly Dictionary<int, Tensor> _reference = [];
    private readonly SortedSet<int> _expected = [];
    private long _cached;

    /// <summary>The lowest top-1 (fraction) a plan may score: <paramref name="baselineTop1"/> − margin points / 100.</summary>
    public static double Threshold(double baselineTop1, double marginPoints)
    {
        if (!(marginPoints >= 0) || marginPoints > 100)
            throw new RistrettoException($"error margin must be between 0 and 100 percentage points, got {marginPoints}");
        return baselineTop1 - marginPoints / 100;
    }

    /// <summary>Evaluations made so far.</summary>
    public int Evaluations { get; private set; }

    /// <summary>What plans are scored by (top-1 unless another metric is asked for).</summary>
    public Metric Metric { get; init; } = Metric.Top1;

    /// <summary>Whether agreement, SQNR and cosine are measured on every plan even when the metric does not need them.</summary>
    public bool MeasureFidelity { get; init; }

    /// <summary>The lowest score a plan may have: the metric's threshold for <paramref name="baseline"/> and <paramref name="margin"/>.</summary>
    public double ThresholdOf(EvalResult baseline, double margin) => Metric.Threshold(baseline.Driving, margin);

    /// <summary>Whether float prefixes are reused (on by default; off to measure or to check the reuse).</summary>
    public bool ReusePrefixes { get; init; } = true;

    /// <summary>Applies <paramref name="plan"/>, scores it, reports "<paramref name="what"/>: top-1 …".</summary>
    public EvalResult Score(QuantizationPlan plan, string what)
    {
        cancel.ThrowIfCancellationRequested();
        using var model = new QuantizedNetwork(network, plan);
        model.eval();
        int cut = model.FirstQuantizedNode();
        if (cut == network.Nodes.Count && ReusePrefixes)
            cut = _expected.FirstOrDefault(c => !_prefixes.ContainsKey(c), cut); // a float pass keeps on its way the prefix a plan to come starts from
        var prefix = ReusePrefixes && cut > 0 && cut < network.Nodes.Count ? Prefix(cut) : null;
        Func<int, Tensor, Tensor>? reference = Metric.NeedsReference || MeasureFidelity ? Reference : null;
        var r = prefix is null
            ? Evaluator.Evaluate((_, x) => model.forward(x), test, batchSize, iterations, reference: reference, metric: Metric)
            : Evaluator.Evaluate((b, x) => prefix.Count > b ? model.ForwardFrom(cut, prefix[b], model.ImagesPerSlice(x)) : Remember(prefix, cut, b, x, model),
                test, batchSize, iterations, reference: reference, metric: Metric);
        Evaluations++;
        progress?.Invoke(Evaluations, $"{what}: {Metric.Title} {Metric.Format(r.Driving)}");
        return r;
    }

    /// <summary>
    /// Tells the scorer which plans may come (a round of a search): a float plan scored before them keeps on its way the
    /// float prefix the first of them starts from (the float pass split there is the same bits as a whole one), so that
    /// the prefix is not computed by a pass of its own.
    /// </summary>
    public void Expect(IEnumerable<QuantizationPlan> plans)
    {
        ArgumentNullException.ThrowIfNull(plans);
        foreach (var plan in plans)
        {
            int cut = QuantizedNetwork.FirstQuantizedNode(network, plan);
            if (cut > 0 && cut < network.Nodes.Count)
                _expected.Add(cut);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var batch in _prefixes.Values.SelectMany(p => p))
            foreach (var t in batch.Values)
                t.Dispose();
        _prefixes.Clear();
        foreach (var t in _reference.Values)
            t.Dispose();
        _reference.Clear();
    }

    /// <summary>The float network's outputs for batch <paramref name="b"/>, computed once and kept (within the cache budget).</summary>
    private Tensor Reference(int b, Tensor x)
    {
        if (_reference.TryGetValue(b, out var known))
            return known.narrow(0, 0, known.shape[0]);
        bool wasTraining = network.training;
        network.eval();
        var outputs = network.forward(x);
        if (wasTraining)
            network.train();
        long bytes = outputs.numel() * outputs.element_size();
        if (_cached + bytes <= CacheBytes)
        {
            _reference[b] = outputs.detach().clone().DetachFromDisposeScope();
            _cached += bytes;
        }
        return outputs;
    }

    private List<Dictionary<string, Tensor>>? Prefix(int cut)
    {
        if (_prefixes.TryGetValue(cut, out var known))
            return known;
        if (_cached >= CacheBytes)
            return null;
        var fresh = new List<Dictionary<string, Tensor>>();
        _prefixes[cut] = fresh;
        return fresh;
    }

    /// <summary>Runs batch <paramref name="b"/>'s float prefix, keeps it (while the budget lasts), and finishes the pass.</summary>
    private Tensor Remember(List<Dictionary<string, Tensor>> prefix, int cut, int b, Tensor x, QuantizedNetwork model)
    {
        long slice = model.ImagesPerSlice(x);
        var frontier = SlicedRun.Until(network, cut, new Dictionary<string, Tensor> { [network.Inputs[0].Name] = x }, slice);
        var logits = model.ForwardFrom(cut, frontier, slice);
        long bytes = frontier.Values.Sum(t => t.numel() * t.element_size());
        if (prefix.Count == b && _cached + bytes <= CacheBytes)
        {
            foreach (var t in frontier.Values)
                t.DetachFromDisposeScope();
            prefix.Add(frontier);
            _cached += bytes;
        }
        return logits;
    }
}
