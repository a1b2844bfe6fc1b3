using System.Diagnostics;
using Ristretto.Data;
using static TorchSharp.torch;

namespace Ristretto.Training;

/// <summary>
/// Trains a classifier with softmax cross-entropy and <see cref="CaffeSgd"/>. Batch <c>t</c> is fixed by
/// the seed and <c>t</c> (see <see cref="BatchOrder"/>), so resuming from a checkpoint at iteration k
/// continues exactly as an uninterrupted run would.
/// </summary>
public sealed class Trainer
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly SolverSettings _settings;

    /// <summary>Prepares training of <paramref name="model"/> (already on its device).</summary>
    public Trainer(nn.Module<Tensor, Tensor> model, SolverSettings settings)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _settings = settings.Validate();
        Solver = new CaffeSgd(model, settings);
    }

    /// <summary>The solver (its state goes into checkpoints).</summary>
    public CaffeSgd Solver { get; }

    /// <summary>
    /// Runs from <paramref name="startIteration"/> to the planned iteration count. <paramref name="checkpoint"/>
    /// is called with the iterations completed every <paramref name="checkpointInterval"/> iterations and
    /// when cancellation stops the run.
    /// </summary>
    public TrainOutcome Run(TensorImageSet train, int startIteration = 0, IProgress<TrainProgress>? progress = null,
        int checkpointInterval = 0, Action<int>? checkpoint = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (startIteration < 0 || startIteration > _settings.Iterations)
            throw new RistrettoException($"cannot start at iteration {startIteration} of {_settings.Iterations}");
        var order = new BatchOrder(train.Count, _settings.Seed, _settings.Shuffle);
        var watch = Stopwatch.StartNew();
        double speed = 0, lastLoss = double.NaN;
        var lastTick = watch.Elapsed;
        _model.train();
        int t = startIteration;
        for (; t < _settings.Iterations; t++)
        {
            if (cancel.IsCancellationRequested)
            {
                checkpoint?.Invoke(t);
                return new TrainOutcome(t, lastLoss, watch.Elapsed.TotalSeconds, Cancelled: true);
            }
            lastLoss = TrainStep(train, order, t);
            var now = watch.Elapsed;
            double instant = 1.0 / Math.Max((now - lastTick).TotalSeconds, 1e-9);
            speed = speed == 0 ? instant : 0.95 * speed + 0.05 * instant;
            lastTick = now;
            progress?.Report(new TrainProgress(t + 1, _settings.Iterations, lastLoss, _settings.LearningRate(t), speed));
            if (checkpointInterval > 0 && (t + 1) % checkpointInterval == 0 && t + 1 < _settings.Iterations)
                checkpoint?.Invoke(t + 1);
        }
        return new TrainOutcome(t, lastLoss, watch.Elapsed.TotalSeconds, Cancelled: false);
    }

    /// <summary>
    /// Forward, backward and update of batch <paramref name="t"/>. The loss is checked before the update,
    /// so a non-finite value never reaches the weights: training stops with a divergence error instead.
    /// </summary>
    private double TrainStep(TensorImageSet train, BatchOrder order, int t)
    {
        using var scope = NewDisposeScope();
        var (x, y) = train.Gather(order.Batch(t, _settings.BatchSize));
        _model.zero_grad();
        var loss = nn.functional.cross_entropy(_model.forward(x), y);
        double value = loss.item<float>();
        if (!double.IsFinite(value))
            throw new RistrettoException($"training diverged at iteration {t + 1}: loss is {value}; lower the learning rate");
        loss.backward();
        Solver.Step(t);
        return value;
    }
}
