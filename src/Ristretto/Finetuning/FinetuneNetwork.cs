using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;
using Ristretto.Training;
using static TorchSharp.torch;

namespace Ristretto.Finetuning;

/// <summary>
/// A float <see cref="Network"/> run under a <see cref="QuantizationPlan"/> for fine-tuning: the planned
/// weighted layers become <see cref="TrainingQuantizedLayer"/>s over the network's own parameters (the shadow
/// weights, which the solver updates), planned LRN layers <see cref="QuantizedLrnLayer"/>s (stochastic draws per batch,
/// the float LRN's gradient). In training mode it trims with the clock's training rounding and
/// straight-through gradients; in eval mode exactly as <see cref="QuantizedNetwork"/> does. Layers whose plan
/// entry learns its steps (LSQ, LSQ+) get <see cref="LearnedSteps"/>, owned here; <see cref="TrainedParameters"/>
/// lists them after the network's parameters and <see cref="CurrentPlan"/> gives the plan they stand for.
/// Borrows the network.
/// </summary>
public sealed class FinetuneNetwork : nn.Module<Tensor, Tensor>, IBatchAware, IStepAware
{
    private readonly Network _network;
    private readonly Dictionary<string, Layer> _substitutes = new(StringComparer.Ordinal);
    private readonly List<LearnedSteps> _steps = [];
    private readonly FinetuneClock _clock;

    /// <summary>
    /// Applies <paramref name="plan"/> to <paramref name="network"/>; a plan naming a missing or weightless layer is an error.
    /// <paramref name="constraint"/> (borrowed) keeps the shadow weights pruned or shared through training.
    /// </summary>
    public FinetuneNetwork(Network network, QuantizationPlan plan, ulong seed, Rounding trainingRounding = Rounding.Stochastic,
        IWeightConstraint? constraint = null)
        : base(network?.Name + "-finetune")
    {
        Constraint = constraint;
        _network = network ?? throw new ArgumentNullException(nameof(network));
        Plan = plan ?? throw new ArgumentNullException(nameof(plan));
        _clock = new FinetuneClock(seed, trainingRounding);
        var order = network.Nodes.Select((n, i) => (n.Layer.LayerName, i)).ToDictionary(p => p.LayerName, p => p.i, StringComparer.Ordinal);
        foreach (var (name, spec) in plan.Layers)
        {
            if (spec.IsFloat)
                continue;
            if (!order.TryGetValue(name, out int index))
                throw new RistrettoException($"the plan names layer '{name}', which {network.Name} does not have");
            if (network[name] is ISmoothActivation)
            {
                if (spec.Learning != StepLearning.None)
                    throw new RistrettoException($"layer '{name}' ({network[name].Type}) has no integer scales to learn; only weighted layers take \"learn\"");
                _substitutes[name] = new ApproximateActivationLayer(network[name], spec); // the exact function's gradient
                continue;
            }
            if (network[name] is LrnLayer lrn)
            {
                if (spec.Learning != StepLearning.None)
                    throw new RistrettoException($"layer '{name}' (LRN) has no integer scales to learn; only weighted layers take \"learn\"");
                _substitutes[name] = new QuantizedLrnLayer(lrn, spec)
                {
                    Draws = () => _clock.Training ? (_clock.TrainingRounding, _clock.SeedFor(index, 0)) : (spec.Rounding, 0UL),
                };
                continue;
            }
            LearnedSteps? steps = null;
            if (spec.Learning != StepLearning.None)
            {
                var device = (network[name] as IWeightedLayer)?.Weight.device ?? CPU;
                steps = new LearnedSteps(name, spec, device);
                _steps.Add(steps);
            }
            _substitutes[name] = new TrainingQuantizedLayer(network[name], spec, _clock, index, steps);
        }
    }

    /// <summary>The plan applied.</summary>
    public QuantizationPlan Plan { get; }

    /// <summary>The network whose parameters are the shadow weights.</summary>
    public Network Network => _network;

    /// <summary>True when some layer learns its steps.</summary>
    public bool LearnsSteps => _steps.Count > 0;

    /// <summary>What the solver trains: the network's parameters, then every learned step and offset.</summary>
    public IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> TrainedParameters()
        => _network.named_parameters().Concat(_steps.SelectMany(s => s.Parameters()));

    /// <summary>The plan as it stands: <see cref="Plan"/> with every learned layer's current formats.</summary>
    public QuantizationPlan CurrentPlan()
    {
        if (_steps.Count == 0)
            return Plan;
        var layers = new Dictionary<string, LayerQuantization>(Plan.Layers, StringComparer.Ordinal);
        foreach (var steps in _steps)
            layers[steps.LayerName] = steps.Current();
        return Plan with { Layers = layers };
    }

    /// <summary>Every learned step's values by parameter name (for a checkpoint).</summary>
    public IReadOnlyDictionary<string, float[]> LearnedStepValues()
        => _steps.SelectMany(s => s.Values()).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    /// <summary>Restores values written by <see cref="LearnedStepValues"/>.</summary>
    public void RestoreLearnedSteps(IReadOnlyDictionary<string, float[]> values, string source)
    {
        foreach (var steps in _steps)
            steps.Restore(values, source);
    }

    /// <summary>The rule the shadow weights keep (pruning, sharing), or null.</summary>
    public IWeightConstraint? Constraint { get; }

    /// <inheritdoc />
    public void BeginBatch(long iteration, int part)
    {
        _clock.Iteration = iteration;
        _clock.Part = part;
        if (part == 0)
            Constraint?.BeginIteration(iteration);
    }

    /// <inheritdoc />
    public void BeforeStep(long iteration) => Constraint?.ConstrainGradients();

    /// <inheritdoc />
    public void AfterStep(long iteration) => Constraint?.ConstrainWeights();

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (_network.training != training)
            _network.train(training);
        _clock.Training = training && is_grad_enabled();
        var inputs = new Dictionary<string, Tensor> { [_network.Inputs[0].Name] = input };
        return _network.Run(inputs, substitutes: _substitutes)[_network.Outputs[0]];
    }

    /// <summary>
    /// Overwrites each planned layer's weights and bias with their trimmed values under <see cref="CurrentPlan"/>
    /// (to nearest, as <see cref="QuantizedLayer"/> trims them), so the float network itself holds exactly
    /// representable weights: what a user exports to hardware.
    /// </summary>
    public void SnapToGrid()
    {
        using var noGrad = no_grad();
        var plan = CurrentPlan();
        foreach (var name in _substitutes.Keys)
        {
            if (_network[name] is not IWeightedLayer weighted)
                continue; // an LRN: nothing stored to snap
            var spec = plan.Layers[name];
            using var scope = NewDisposeScope();
            if (spec.Weights is { } w)
                weighted.Weight.copy_(w.Trim(weighted.Weight));
            if (spec.Bias is { } b && weighted.Bias is { } bias)
                bias.copy_(b.Trim(bias));
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var layer in _substitutes.Values)
                layer.Dispose();
            foreach (var steps in _steps)
                steps.Dispose();
        }
        base.Dispose(disposing);
    }
}
