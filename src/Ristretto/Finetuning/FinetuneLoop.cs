using Ristretto.Data;
using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Training;
using static TorchSharp.torch;

namespace Ristretto.Finetuning;

/// <summary>
/// Fine-tunes a float network under a plan in the discrete domain, as Ristretto did and with its gaps closed:
/// the network's parameters are full-precision shadow weights; every training forward pass trims weights,
/// biases and activations (the training rounding, stochastic by default) with straight-through gradients;
/// the solver updates the shadow weights; tests run with the plan's rounding. Optionally distils from a
/// frozen float teacher. <see cref="FinetuneNetwork.SnapToGrid"/> then puts the weights exactly on the grid.
/// </summary>
public sealed class FinetuneLoop : IDisposable
{
    private readonly Trainer _trainer;

    /// <summary>Prepares fine-tuning of <paramref name="network"/> (already on its device) under <paramref name="plan"/>.</summary>
    /// <param name="network">The float network; its parameters are trained in place.</param>
    /// <param name="plan">The formats to fine-tune into.</param>
    /// <param name="options">Solver and fine-tuning options.</param>
    /// <param name="teacher">The frozen float network to distil from, required when <see cref="FinetuneOptions.DistillAlpha"/> &gt; 0.</param>
    /// <param name="constraint">What the shadow weights keep through training (pruning masks, shared weights; borrowed);
    /// with one, a plan that trims nothing is allowed.</param>
    public FinetuneLoop(Network network, QuantizationPlan plan, FinetuneOptions options, nn.Module<Tensor, Tensor>? teacher = null,
        IWeightConstraint? constraint = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        Options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        if (constraint is null && plan.Layers.Values.All(s => s.IsFloat))
            throw new RistrettoException("the plan trims nothing; fine-tuning needs at least one quantized layer");
        if (Options.DistillAlpha > 0 && teacher is null)
            throw new RistrettoException("distillation needs the float network as a teacher");
        Model = new FinetuneNetwork(network, plan, Options.Solver.Seed, Options.TrainingRounding, constraint);
        var loss = Options.DistillAlpha > 0 ? Distillation.Loss(teacher!, Options.DistillTemperature, Options.DistillAlpha) : null;
        _trainer = new Trainer(Model, Options.Solver, Model.TrainedParameters(), loss);
    }

    /// <summary>The options in force.</summary>
    public FinetuneOptions Options { get; }

    /// <summary>The network as fine-tuning runs it (trimming, shadow weights).</summary>
    public FinetuneNetwork Model { get; }

    /// <summary>The solver over the shadow weights (its state goes into checkpoints).</summary>
    public ISolver Solver => _trainer.Solver;

    /// <summary>Runs from <paramref name="startIteration"/> to the planned iterations; see <see cref="Trainer.Run"/>.</summary>
    public TrainOutcome Run(ImageDataset train, int startIteration = 0, IProgress<TrainProgress>? progress = null,
        int checkpointInterval = 0, Action<int>? checkpoint = null, CancellationToken cancel = default, PeriodicTest? test = null)
        => _trainer.Run(train, startIteration, progress, checkpointInterval, checkpoint, cancel, test);

    /// <inheritdoc />
    public void Dispose()
    {
        _trainer.Solver.Dispose();
        Model.Dispose();
    }
}
