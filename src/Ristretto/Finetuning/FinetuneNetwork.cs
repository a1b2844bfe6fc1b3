using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Training;
using static TorchSharp.torch;

namespace Ristretto.Finetuning;

/// <summary>
/// A float <see cref="Network"/> run under a <see cref="QuantizationPlan"/> for fine-tuning: the planned
/// layers become <see cref="TrainingQuantizedLayer"/>s over the network's own parameters (the shadow
/// weights, which the solver updates). In training mode it trims with the clock's training rounding and
/// straight-through gradients; in eval mode exactly as <see cref="QuantizedNetwork"/> does. Borrows the network.
/// </summary>
public sealed class FinetuneNetwork : nn.Module<Tensor, Tensor>, IBatchAware
{
    private readonly Network _network;
    private readonly Dictionary<string, Layer> _substitutes = new(StringComparer.Ordinal);
    private readonly FinetuneClock _clock;

    /// <summary>Applies <paramref name="plan"/> to <paramref name="network"/>; a plan naming a missing or weightless layer is an error.</summary>
    public FinetuneNetwork(Network network, QuantizationPlan plan, ulong seed, Rounding trainingRounding = Rounding.Stochastic)
        : base(network?.Name + "-finetune")
    {
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
            _substitutes[name] = new TrainingQuantizedLayer(network[name], spec, _clock, index);
        }
    }

    /// <summary>The plan applied.</summary>
    public QuantizationPlan Plan { get; }

    /// <summary>The network whose parameters are the shadow weights.</summary>
    public Network Network => _network;

    /// <inheritdoc />
    public void BeginBatch(long iteration, int part)
    {
        _clock.Iteration = iteration;
        _clock.Part = part;
    }

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
    /// Overwrites each planned layer's weights and bias with their trimmed values (to nearest, as
    /// <see cref="QuantizedLayer"/> trims them), so
    /// the float network itself holds exactly representable weights: what a user exports to hardware.
    /// </summary>
    public void SnapToGrid()
    {
        using var noGrad = no_grad();
        foreach (var (name, layer) in _substitutes)
        {
            var spec = ((TrainingQuantizedLayer)layer).Spec;
            var weighted = (IWeightedLayer)_network[name];
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
            foreach (var layer in _substitutes.Values)
                layer.Dispose();
        base.Dispose(disposing);
    }
}
