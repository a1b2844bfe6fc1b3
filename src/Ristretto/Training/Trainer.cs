using System.Diagnostics;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using static TorchSharp.torch;

namespace Ristretto.Training;

/// <summary>
/// Trains a classifier with a loss (softmax cross-entropy unless given) and the solver the settings name.
/// Batch <c>t</c> is fixed by the seed and <c>t</c> (see <see cref="BatchOrder"/>), so resuming from a
/// checkpoint at iteration k continues exactly as an uninterrupted run would. With an iter size n, update
/// <c>t</c> accumulates the gradients of batches <c>t·n … t·n + n − 1</c>.
/// </summary>
public sealed class Trainer
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly SolverSettings _settings;
    private readonly TrainingLoss _loss;
    private readonly IReadOnlyList<TorchSharp.Modules.Parameter> _parameters;

    /// <summary>Prepares training of <paramref name="model"/> (already on its device).</summary>
    /// <param name="model">The module whose forward pass is trained.</param>
    /// <param name="settings">Solver settings.</param>
    /// <param name="parameters">The named parameters the solver updates (default: those of <paramref name="model"/>);
    /// fine-tuning updates the float network's shadow weights, and any learned steps, while the forward pass trims them.</param>
    /// <param name="loss">The loss (default: cross-entropy).</param>
    public Trainer(nn.Module<Tensor, Tensor> model, SolverSettings settings,
        IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)>? parameters = null, TrainingLoss? loss = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _settings = settings.Validate();
        _loss = loss ?? ((logits, labels, _) => nn.functional.cross_entropy(logits, labels));
        var named = (parameters ?? model.named_parameters()).ToList();
        _parameters = named.Select(p => p.parameter).ToList();
        Solver = Solvers.Create(named, settings);
    }

    /// <summary>The solver (its state goes into checkpoints; the caller disposes it).</summary>
    public ISolver Solver { get; }

    /// <summary>
    /// Runs from <paramref name="startIteration"/> to the planned iteration count. <paramref name="checkpoint"/>
    /// is called with the iterations completed every <paramref name="checkpointInterval"/> iterations and
    /// when cancellation stops the run; <paramref name="test"/> scores the model periodically.
    /// </summary>
    public TrainOutcome Run(ImageDataset train, int startIteration = 0, IProgress<TrainProgress>? progress = null,
        int checkpointInterval = 0, Action<int>? checkpoint = null, CancellationToken cancel = default, PeriodicTest? test = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (!train.Labelled)
            throw new RistrettoException($"{train.Name} has no labels; training and fine-tuning need labelled images (--train-data)");
        if (startIteration < 0 || startIteration > _settings.Iterations)
            throw new RistrettoException($"cannot start at iteration {startIteration} of {_settings.Iterations}");
        var order = new BatchOrder(train.Count, _settings.Seed, _settings.Shuffle);
        var watch = Stopwatch.StartNew();
        var tests = new List<(int, EvalResult)>();
        EvalResult? lastTest = null;
        double speed = 0, lastLoss = double.NaN;
        var lastTick = watch.Elapsed;
        _model.train();
        int t = startIteration;
        for (; t < _settings.Iterations; t++)
        {
            if (cancel.IsCancellationRequested)
            {
                checkpoint?.Invoke(t);
                return new TrainOutcome(t, lastLoss, watch.Elapsed.TotalSeconds, Cancelled: true, tests);
            }
            lastLoss = TrainStep(train, order, t);
            if (test is { Interval: > 0 } && (t + 1) % test.Interval == 0)
            {
                _model.eval();
                lastTest = test.Evaluate();
                tests.Add((t + 1, lastTest));
                _model.train();
            }
            var now = watch.Elapsed;
            double instant = 1.0 / Math.Max((now - lastTick).TotalSeconds, 1e-9);
            speed = speed == 0 ? instant : 0.95 * speed + 0.05 * instant;
            lastTick = now;
            progress?.Report(new TrainProgress(t + 1, _settings.Iterations, lastLoss, _settings.LearningRate(t), speed, lastTest));
            if (checkpointInterval > 0 && (t + 1) % checkpointInterval == 0 && t + 1 < _settings.Iterations)
                checkpoint?.Invoke(t + 1);
        }
        return new TrainOutcome(t, lastLoss, watch.Elapsed.TotalSeconds, Cancelled: false, tests);
    }

    /// <summary>
    /// Forward, backward and update of iteration <paramref name="t"/>. The loss is checked before the
    /// update, so a non-finite value never reaches the weights: training stops with a divergence error instead.
    /// </summary>
    private double TrainStep(ImageDataset train, BatchOrder order, int t)
    {
        int parts = _settings.IterSize;
        double total = 0;
        foreach (var p in _parameters)
            p.grad = null;
        for (int k = 0; k < parts; k++)
        {
            using var scope = NewDisposeScope();
            using var kernels = Engine.OneDnn.Gradients(); // forward and backward under the same convolution kernels
            long draw = (long)t * parts + k;
            var (x, y) = train.Gather(order.Batch(draw, _settings.BatchSize), draw);
            if (t + 1 < _settings.Iterations || k + 1 < parts)
                train.Prefetch(order.Batch(draw + 1, _settings.BatchSize), draw + 1);
            (_model as IBatchAware)?.BeginBatch(t, k);
            var loss = _loss(_model.forward(x), y, x);
            double value = loss.item<float>();
            if (!double.IsFinite(value))
                throw new RistrettoException($"training diverged at iteration {t + 1}: loss is {value}; lower the learning rate");
            (parts == 1 ? loss : loss.Over(parts)).backward();
            total += value;
        }
        (_model as IStepAware)?.BeforeStep(t);
        Solver.Step(t);
        (_model as IStepAware)?.AfterStep(t);
        return total / parts;
    }
}
