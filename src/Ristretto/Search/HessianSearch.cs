using System.Diagnostics;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Hardware;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Search;

/// <summary>One Hutchinson probe: a Rademacher vector drawn from <paramref name="Seed"/> on the first calibration images. Probes are independent (they can run anywhere) and their traces are averaged.</summary>
/// <param name="Index">The probe's number.</param>
/// <param name="Seed">Seed of its ±1 vector (SplitMix64).</param>
public sealed record HutchinsonProbe(int Index, ulong Seed);

/// <summary>One of the best allocations the integer program found, and how the final step judged it.</summary>
/// <param name="Rank">Its place in the program's order (0: the least summed sensitivity).</param>
/// <param name="Widths">Each layer's (weight, activation) widths.</param>
/// <param name="Sensitivity">The summed sensitivity the program minimised.</param>
/// <param name="Cost">Its cost in the budget's unit (the cost model's figure for the whole plan).</param>
/// <param name="LossIncrease">The measured increase of the mean training loss on the calibration images with the whole plan applied.</param>
/// <param name="Score">Its score on the evaluated set, for the finalists; null otherwise.</param>
/// <param name="Kept">Whether it is the plan returned.</param>
public sealed record HessianCandidate(int Rank, IReadOnlyDictionary<string, (int Weights, int Activations)> Widths, double Sensitivity, double Cost,
    double LossIncrease, EvalResult? Score, bool Kept);

/// <summary>What the Hessian-guided allocation found.</summary>
/// <param name="Baseline">The float scores.</param>
/// <param name="Quantized">The allocated plan's scores.</param>
/// <param name="Plan">The allocated plan.</param>
/// <param name="WeightBits">Each layer's weight width.</param>
/// <param name="ActivationBits">Each layer's activation width (its input and output).</param>
/// <param name="Traces">Each layer's mean Hessian diagonal (trace / weights) of the training loss.</param>
/// <param name="Bops">The plan's BOPs.</param>
/// <param name="Budget">The budget.</param>
/// <param name="Cost">The plan's cost in the budget's unit (the cost model's figure).</param>
/// <param name="Candidates">The best allocations within the budget, as the final step judged them.</param>
/// <param name="Evaluations">Plans scored on the evaluated set (the float baseline and the finalists).</param>
/// <param name="Work">What the allocation ran, in float-pass equivalents over the evaluated set: its evaluations, the calibration-loss passes and the Hutchinson probes (each Hessian-vector product counted as 4 passes of its images); the range calibration before it is the caller's.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record HessianResult(EvalResult Baseline, EvalResult Quantized, QuantizationPlan Plan, IReadOnlyDictionary<string, int> WeightBits,
    IReadOnlyDictionary<string, int> ActivationBits, IReadOnlyDictionary<string, double> Traces, double Bops, AllocationBudget Budget, double Cost,
    IReadOnlyList<HessianCandidate> Candidates, int Evaluations, SearchCost Work, double Seconds)
{
    /// <summary>The allocation's cost in float passes over the evaluated set (<see cref="SearchCost.PassEquivalents"/>).</summary>
    public double PassEquivalents => Work.PassEquivalents;
}

/// <summary>
/// Sensitivity-guided bit allocation (HAWQ-v2's criterion): each weighted layer's sensitivity at a width b is
/// ½ · (Tr H_l / n_l) · ‖W_l − Q_b(W_l)‖², with Tr H_l, the trace of the training loss's Hessian over the layer's weights,
/// estimated by Hutchinson's method (E[vᵀHv] over Rademacher v, Hv by double backward) on calibration images; then
/// <see cref="BitAllocation"/> picks each layer's weight and activation widths to minimise the summed sensitivity within a
/// BOPs budget. An activation width's sensitivity is measured in the same unit: the increase of the mean training loss
/// on calibration images when only that layer's input and output are trimmed to it (<see cref="ActivationProbes"/>, one
/// candidate plan each). The evaluation calls (<see cref="Measure"/>, <see cref="Loss"/>, the final score) are apart from
/// the decision (<see cref="Options"/>, <see cref="BitAllocation.Solve"/>): <see cref="Probes"/> and
/// <see cref="ActivationProbes"/> list the independent jobs.
/// </summary>
public sealed class HessianSearch
{
    /// <summary>
    /// Weight widths a layer may take: every width from 2 to 6 bits, then 8 and 16. Dynamic fixed point takes any width,
    /// and the widths between the powers of two let the program spend a budget that the power-of-two ladder (the greedy
    /// search's) can only meet by halving a whole layer.
    /// </summary>
    public static readonly int[] Widths = [16, 8, 6, 5, 4, 3, 2];

    /// <summary>Activation widths a layer may take (its input and output): 3 to 6 bits, 8 and 16.</summary>
    public static readonly int[] ActivationWidths = [16, 8, 6, 5, 4, 3];

    private readonly Network _network;
    private readonly IReadOnlyDictionary<string, LayerRange> _ranges;
    private readonly ImageDataset _test, _calibration;
    private readonly int _iterations, _batchSize;
    private readonly IReadOnlyDictionary<string, long> _macs;
    private readonly IReadOnlyDictionary<string, (LayerNode Node, LayerShape Shape)> _shapes;
    private readonly LayerCostModel _costModel = new();

    /// <summary>Prepares the search; <paramref name="iterations"/> test batches of <paramref name="batchSize"/> score each plan.</summary>
    public HessianSearch(Network network, IReadOnlyDictionary<string, LayerRange> ranges, ImageDataset test, int iterations, int batchSize, ImageDataset calibration)
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        _ranges = ranges ?? throw new ArgumentNullException(nameof(ranges));
        _test = test ?? throw new ArgumentNullException(nameof(test));
        _calibration = calibration ?? throw new ArgumentNullException(nameof(calibration));
        _iterations = iterations;
        _batchSize = batchSize;
        _macs = BitOperations.Macs(network);
        _shapes = NetworkCostModel.Shapes(network).ToDictionary(x => x.Node.Layer.LayerName, x => (x.Node, x.Shape), StringComparer.Ordinal);
    }

    /// <summary>How formats are fitted (default <see cref="RangeRules.Default"/>).</summary>
    public RangeRules Rules { get; init; } = RangeRules.Default;

    /// <summary>What plans are scored by.</summary>
    public Metric Metric { get; init; } = Metric.Top1;

    /// <summary>Whether fidelity metrics are measured on every plan scored.</summary>
    public bool MeasureFidelity { get; init; }

    /// <summary>Hutchinson probes.</summary>
    public int ProbeCount { get; init; } = 16;

    /// <summary>Calibration images each probe's Hessian-vector product runs on.</summary>
    public int ProbeImages { get; init; } = 256;

    /// <summary>Calibration images the loss of each probe plan and of each candidate allocation is measured on.</summary>
    public int LossImages { get; init; } = 512;

    /// <summary>
    /// How many of the integer program's best allocations the final step measures on the calibration images, in each of two
    /// lists: the best ones, and the best ones that differ from each other in at least two layers' widths (the first list
    /// crowds with the variants of one allocation in a cheap layer, which share whatever its other layers' widths cost
    /// together and the summed sensitivities cannot see). Both lists are screened, each allocation once.
    /// </summary>
    public int Candidates { get; init; } = 16;

    /// <summary>How many of those (the least loss first) are scored on the evaluated set; the best score is kept.</summary>
    public int Finalists { get; init; } = 3;

    /// <summary>The candidate plans whose loss measures activation sensitivity: each layer alone with its input and output at each width (for fan-out).</summary>
    public IReadOnlyList<(string Layer, int Bits, QuantizationPlan Plan)> ActivationProbes() =>
        _macs.Keys.SelectMany(l => ActivationWidths.Select(a => (l, a, new QuantizationPlan(
            new Dictionary<string, LayerQuantization>(StringComparer.Ordinal) { [l] = Rules.DynamicFixedPoint(l, _ranges[l], null, a) }, $"{l} activations {a}-bit")))).ToList();

    /// <summary>The candidate plans whose loss checks the Hessian's weight sensitivity: each layer alone with its weights at each width below 16 (for fan-out).</summary>
    public IReadOnlyList<(string Layer, int Bits, QuantizationPlan Plan)> WeightProbes() =>
        _macs.Keys.SelectMany(l => Widths.Where(b => b < 16).Select(b => (l, b, new QuantizationPlan(
            new Dictionary<string, LayerQuantization>(StringComparer.Ordinal) { [l] = Rules.DynamicFixedPoint(l, _ranges[l], b, null) }, $"{l} weights {b}-bit")))).ToList();

    /// <summary>The mean training loss (cross-entropy) of <paramref name="plan"/> on the first calibration images (an evaluation call).</summary>
    public double Loss(QuantizationPlan plan) => new CalibrationLoss(LossImages).Of(_network, plan, _calibration);

    /// <summary>Where the probe plans' losses and the final scores are computed (a folder of trials and a launcher); null: in this process. The Hutchinson probes stay here.</summary>
    public IEvaluatorSource? Trials { get; init; }

    /// <summary>The loss of each of <paramref name="plans"/> (by reference), scored as one round of <see cref="Trials"/> or in process, in order.</summary>
    private Dictionary<QuantizationPlan, double> Losses(IReadOnlyList<QuantizationPlan> plans, CancellationToken cancel)
    {
        var loss = new CalibrationLoss(LossImages);
        using var evaluator = Trials?.OpenLoss(loss, null, cancel) ?? RoundEvaluator.InProcessLoss(_network, _calibration, loss, null, cancel);
        var scores = evaluator.Score(plans.Select(p => new Candidate(p.Description, p)).ToList());
        var losses = new Dictionary<QuantizationPlan, double>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < plans.Count; i++)
            losses.TryAdd(plans[i], scores[i].Score);
        return losses;
    }

    /// <summary>The independent probe jobs (for fan-out).</summary>
    public IReadOnlyList<HutchinsonProbe> Probes() =>
        Enumerable.Range(0, ProbeCount).Select(i => new HutchinsonProbe(i, 0x5EED_0000UL + (ulong)i)).ToList();

    /// <summary>One probe's vᵀHv per weighted layer (an evaluation call: forward, backward and double backward).</summary>
    public IReadOnlyDictionary<string, double> Measure(HutchinsonProbe probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var layers = _network.Nodes.Where(n => n.Layer is IWeightedLayer).Select(n => (n.Layer.LayerName, Weighted: (IWeightedLayer)n.Layer)).ToList();
        var weights = layers.Select(l => l.Weighted.Weight).ToList();
        var wanted = weights.Select(w => w.requires_grad).ToList();
        bool wasTraining = _network.training;
        _network.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var kernels = Engine.OneDnn.Gradients(); // forward and both backward passes under the same convolution kernels
            foreach (var w in weights)
                w.requires_grad_(true);
            var (x, y) = _calibration.Slice(0, Math.Min(ProbeImages, _calibration.Count));
            var logits = _network.forward(x);
            var loss = nn.functional.cross_entropy(logits, y);
            var grads = autograd.grad([loss], weights.Cast<Tensor>().ToList(), retain_graph: true, create_graph: true);
            var rng = new SplitMix64(probe.Seed);
            var vs = weights.Select(w =>
            {
                var signs = new float[w.numel()];
                for (int i = 0; i < signs.Length; i++)
                    signs[i] = (rng.NextUInt64() & 1) == 0 ? -1f : 1f;
                return tensor(signs).reshape(w.shape).to(w.device);
            }).ToList();
            Tensor product = zeros(1);
            for (int i = 0; i < grads.Count; i++)
                product = product.Plus(grads[i].mul(vs[i]).sum());
            var hv = autograd.grad([product], weights.Cast<Tensor>().ToList());
            return layers.Select((l, i) => (l.LayerName, Value: hv[i].mul(vs[i]).sum().item<float>()))
                .ToDictionary(p => p.LayerName, p => (double)p.Value, StringComparer.Ordinal);
        }
        finally
        {
            for (int i = 0; i < weights.Count; i++)
                weights[i].requires_grad_(wanted[i]);
            if (wasTraining)
                _network.train();
        }
    }

    /// <summary>The mean Hessian diagonal of every layer from the probes' results (the decision's input).</summary>
    public IReadOnlyDictionary<string, double> Traces(IEnumerable<IReadOnlyDictionary<string, double>> measured)
    {
        ArgumentNullException.ThrowIfNull(measured);
        var all = measured.ToList();
        return _network.Nodes.Where(n => n.Layer is IWeightedLayer).ToDictionary(n => n.Layer.LayerName,
            n => Math.Abs(all.Average(m => m[n.Layer.LayerName])) / ((IWeightedLayer)n.Layer).Weight.numel(), StringComparer.Ordinal);
    }

    /// <summary>
    /// Each layer's (weight, activation) width pairs with their sensitivity and cost (the decision's options), coded as
    /// <see cref="WidthOption.Bits"/> = 100 · weight bits + activation bits. <paramref name="activationLoss"/>: each
    /// layer's loss increase at each activation width; <paramref name="weightLoss"/>: at each weight width below 16.
    /// Costs are in <paramref name="budget"/>'s unit (BOPs when null); an energy cost assumes the parameters are on chip
    /// when <paramref name="resident"/> (and <see cref="WidthOption.Held"/> carries the parameter bits), else streamed
    /// from DRAM.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<WidthOption>> Options(IReadOnlyDictionary<string, double> traces,
        IReadOnlyDictionary<(string Layer, int Bits), double> activationLoss, IReadOnlyDictionary<(string Layer, int Bits), double>? weightLoss = null,
        AllocationBudget? budget = null, bool resident = true)
    {
        ArgumentNullException.ThrowIfNull(traces);
        ArgumentNullException.ThrowIfNull(activationLoss);
        using var noGrad = no_grad();
        var options = new Dictionary<string, IReadOnlyList<WidthOption>>(StringComparer.Ordinal);
        foreach (var node in _network.Nodes.Where(n => n.Layer is IWeightedLayer))
        {
            string name = node.Layer.LayerName;
            var w = ((IWeightedLayer)node.Layer).Weight.detach();
            options[name] = Widths.SelectMany(b =>
            {
                using var scope = NewDisposeScope();
                var q = Rules.DynamicFixedPoint(name, _ranges[name], b, null).Weights!.Trim(w);
                var d = q.Plus(w.neg());
                // The second-order estimate, raised to the measured loss where the measurement shows more (the Taylor term
                // misses what saturation and a 2-bit grid's large steps cost).
                double estimate = 0.5 * traces[name] * d.mul(d).sum().item<float>();
                double weightSensitivity = Math.Max(estimate, weightLoss?.GetValueOrDefault((name, b)) ?? 0);
                return ActivationWidths.Select(a =>
                {
                    var (cost, held) = LayerCostOf(name, b, a, budget?.Kind ?? BudgetKind.Bops, resident);
                    return new WidthOption(100 * b + a, weightSensitivity + Math.Max(0, activationLoss[(name, a)]), cost, held);
                }).ToList();
            }).ToList();
        }
        return options;
    }

    /// <summary>
    /// One layer's cost at <paramref name="weightBits"/>/<paramref name="activationBits"/> in <paramref name="kind"/>'s unit,
    /// from the cost model <c>report</c> uses (<see cref="LayerCostModel"/> with the default accelerator), and its parameter
    /// bits. Each term is exact per layer: BOPs and parameter memory depend on the layer's own formats only, and so does its
    /// energy once it is known whether the whole network's parameters fit on chip (<paramref name="resident"/>).
    /// </summary>
    private (double Cost, double Held) LayerCostOf(string name, int weightBits, int activationBits, BudgetKind kind, bool resident)
    {
        if (kind == BudgetKind.Bops)
            return (LayerCost.BopsOf(_macs[name], weightBits, activationBits), 0);
        var spec = Rules.DynamicFixedPoint(name, _ranges[name], weightBits, activationBits);
        var (node, shape) = _shapes[name];
        var cost = _costModel.Cost(name, node.Layer.Type, shape, LayerScheme.Of(spec.Weights, spec.Bias, spec.Input, spec.Output), resident);
        double held = cost.WeightBits + cost.ExtraParameterBits;
        return kind == BudgetKind.MemoryKib ? (held / 8 / 1024, held) : (cost.Energy.Total / 1e6, held);
    }

    /// <summary>A plan's cost in <paramref name="kind"/>'s unit, as <c>report</c> computes it for the whole network.</summary>
    public double CostOf(QuantizationPlan plan, BudgetKind kind)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (kind == BudgetKind.Bops)
            return BitOperations.Of(plan, _macs);
        var cost = NetworkCostModel.Compute(_network, plan, _costModel.Options);
        return kind == BudgetKind.MemoryKib ? (cost.WeightBits + cost.ExtraParameterBits) / 8.0 / 1024 : cost.Energy.Total / 1e6;
    }

    /// <summary>
    /// The <paramref name="count"/> best allocations within <paramref name="budget"/>, the least summed sensitivity first.
    /// An energy budget is two programs, exact together: one with every parameter on chip (energies without DRAM weight
    /// traffic, and the parameter bits within the buffer), one with the weights streamed (an allocation whose parameters
    /// happen to fit then costs less than its program counted); their best are merged.
    /// </summary>
    public IReadOnlyList<Allocation> Allocate(IReadOnlyDictionary<string, double> traces, IReadOnlyDictionary<(string Layer, int Bits), double> activationLoss,
        IReadOnlyDictionary<(string Layer, int Bits), double>? weightLoss, AllocationBudget budget, int count)
    {
        ArgumentNullException.ThrowIfNull(budget);
        if (budget.Kind != BudgetKind.EnergyMicrojoules)
            return Merged(BitAllocation.Best(Options(traces, activationLoss, weightLoss, budget), budget.Value, count), count);
        var onChip = BitAllocation.Best(Options(traces, activationLoss, weightLoss, budget, resident: true), budget.Value, count, _costModel.Options.Sram.CapacityBits());
        var streamed = BitAllocation.Best(Options(traces, activationLoss, weightLoss, budget, resident: false), budget.Value, count);
        return Merged([.. onChip, .. streamed], count);
    }

    /// <summary>
    /// The <paramref name="count"/> best allocations within <paramref name="budget"/> and the <paramref name="count"/> best
    /// that differ pairwise in at least two layers (<see cref="BitAllocation.Best"/>), each once, the least summed
    /// sensitivity first (<see cref="Run(AllocationBudget, Action{int, string}?, CancellationToken)"/> screens them all).
    /// </summary>
    public IReadOnlyList<Allocation> AllocateDiverse(IReadOnlyDictionary<string, double> traces, IReadOnlyDictionary<(string Layer, int Bits), double> activationLoss,
        IReadOnlyDictionary<(string Layer, int Bits), double>? weightLoss, AllocationBudget budget, int count)
    {
        ArgumentNullException.ThrowIfNull(budget);
        var best = Allocate(traces, activationLoss, weightLoss, budget, count);
        if (budget.Kind != BudgetKind.EnergyMicrojoules)
            return Merged([.. best, .. BitAllocation.Best(Options(traces, activationLoss, weightLoss, budget), budget.Value, count, differIn: 2)], 2 * count);
        var onChip = BitAllocation.Best(Options(traces, activationLoss, weightLoss, budget, resident: true), budget.Value, count, _costModel.Options.Sram.CapacityBits(), differIn: 2);
        var streamed = BitAllocation.Best(Options(traces, activationLoss, weightLoss, budget, resident: false), budget.Value, count, differIn: 2);
        return Merged([.. best, .. Merged([.. onChip, .. streamed], count)], 2 * count);
    }

    /// <summary>The allocations, each once, the least summed sensitivity first, at most <paramref name="count"/>.</summary>
    private static List<Allocation> Merged(IEnumerable<Allocation> allocations, int count) =>
        allocations.GroupBy(x => string.Join(",", x.Widths.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")))
            .Select(g => g.First()).OrderBy(x => x.Sensitivity).Take(count).ToList();

    /// <summary>The plan of per-layer (weight, activation) widths.</summary>
    public QuantizationPlan Plan(IReadOnlyDictionary<string, (int Weights, int Activations)> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        var layers = widths.ToDictionary(kv => kv.Key, kv => Rules.DynamicFixedPoint(kv.Key, _ranges[kv.Key], kv.Value.Weights, kv.Value.Activations), StringComparer.Ordinal);
        return new QuantizationPlan(layers, $"Hessian-guided allocation: {string.Join(", ", widths.Select(kv => $"{kv.Key} {kv.Value.Weights}/{kv.Value.Activations}"))}");
    }

    /// <summary>Probes, allocates within <paramref name="budgetBops"/> BOPs, and scores the float network and the plan.</summary>
    public HessianResult Run(double budgetBops, Action<int, string>? progress = null, CancellationToken cancel = default) =>
        Run(new AllocationBudget(BudgetKind.Bops, budgetBops), progress, cancel);

    /// <summary>
    /// Probes, allocates within <paramref name="budget"/>, and keeps the best of the program's <see cref="Candidates"/>
    /// best allocations: each one's whole plan is applied to the calibration images and its loss increase measured
    /// (the sum of single-layer sensitivities misses how layers' errors combine), the <see cref="Finalists"/> with the
    /// least loss are scored on the evaluated set, and the best score is kept (ties: the least loss).
    /// </summary>
    public HessianResult Run(AllocationBudget budget, Action<int, string>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(budget);
        var watch = Stopwatch.StartNew();
        var measured = new List<IReadOnlyDictionary<string, double>>();
        foreach (var probe in Probes())
        {
            cancel.ThrowIfCancellationRequested();
            measured.Add(Measure(probe));
        }
        var traces = Traces(measured);
        var probes = ActivationProbes();
        var weightProbes = WeightProbes();
        var loss = Losses([QuantizationPlan.Float, .. probes.Select(p => p.Plan), .. weightProbes.Select(p => p.Plan)], cancel);
        double floatLoss = loss[QuantizationPlan.Float];
        var activationLoss = probes.ToDictionary(p => (p.Layer, p.Bits), p => loss[p.Plan] - floatLoss);
        var weightLoss = weightProbes.ToDictionary(p => (p.Layer, p.Bits), p => loss[p.Plan] - floatLoss);
        var allocations = AllocateDiverse(traces, activationLoss, weightLoss, budget, Candidates);
        if (allocations.Count == 0)
        {
            var cheapest = Plan(_macs.Keys.ToDictionary(k => k, _ => (Widths[^1], ActivationWidths[^1])));
            throw new RistrettoException($"--budget {budget}: no allocation fits ({Widths[^1]}-bit weights and {ActivationWidths[^1]}-bit activations everywhere cost {budget.Format(CostOf(cheapest, budget.Kind))})");
        }
        static IReadOnlyDictionary<string, (int Weights, int Activations)> Decode(Allocation a) =>
            a.Widths.ToDictionary(kv => kv.Key, kv => (Weights: kv.Value / 100, Activations: kv.Value % 100), StringComparer.Ordinal);
        var decoded = allocations.Select(a => Decode(a)).ToList();
        var plans = decoded.Select(Plan).ToList();
        var planLoss = Losses(plans, cancel); // the screening: one more round of calibration losses
        var screened = allocations.Select((a, i) =>
            (Rank: i, Widths: decoded[i], Plan: plans[i], a.Sensitivity, Cost: CostOf(plans[i], budget.Kind), Loss: planLoss[plans[i]] - floatLoss)).ToList();
        using var scorer = Trials?.Open(Metric, MeasureFidelity, progress, cancel)
            ?? PlanEvaluator.InProcess(_network, _test, _iterations, _batchSize, Metric, MeasureFidelity, progress, cancel);
        var finalists = screened.OrderBy(c => c.Loss).ThenBy(c => c.Rank).Take(Math.Max(1, Finalists)).ToList();
        var round = scorer.Score([new Candidate("float32 baseline", QuantizationPlan.Float),
            .. finalists.Select(c => new Candidate($"Hessian-guided plan {c.Rank + 1} of {screened.Count}", c.Plan))]);
        var baseline = round[0];
        var scores = finalists.Select((c, i) => (c.Rank, Score: round[i + 1])).ToDictionary(x => x.Rank, x => x.Score);
        int kept = scores.OrderByDescending(kv => kv.Value.Driving).ThenBy(kv => screened[kv.Key].Loss).ThenBy(kv => kv.Key).First().Key;
        var best = screened[kept];
        long lossImages = Math.Min(LossImages, _calibration.Count);
        var work = new SearchCost(scorer.Evaluations, Math.Min(_test.Count, (long)_iterations * _batchSize),
            LossImages: (1 + probes.Count + weightProbes.Count + screened.Count) * lossImages, ProductImages: (long)ProbeCount * Math.Min(ProbeImages, _calibration.Count));
        var candidates = screened.Select(c => new HessianCandidate(c.Rank, c.Widths, c.Sensitivity, c.Cost, c.Loss, scores.GetValueOrDefault(c.Rank), c.Rank == kept)).ToList();
        return new HessianResult(baseline, scores[kept], best.Plan, best.Widths.ToDictionary(kv => kv.Key, kv => kv.Value.Weights, StringComparer.Ordinal),
            best.Widths.ToDictionary(kv => kv.Key, kv => kv.Value.Activations, StringComparer.Ordinal), traces, BitOperations.Of(best.Plan, _macs), budget, best.Cost,
            candidates, scorer.Evaluations, work, watch.Elapsed.TotalSeconds);
    }
}
