using Ristretto.Evaluation;

namespace Ristretto.Training;

/// <summary>A training progress report, sent after every iteration.</summary>
/// <param name="Iteration">Iterations completed.</param>
/// <param name="Total">Iterations planned.</param>
/// <param name="Loss">Loss of the last batch (mean over its accumulated parts).</param>
/// <param name="LearningRate">Learning rate used for the last batch.</param>
/// <param name="IterationsPerSecond">Smoothed speed.</param>
/// <param name="LastTest">The latest periodic test result, if any test has run.</param>
public sealed record TrainProgress(int Iteration, int Total, double Loss, double LearningRate, double IterationsPerSecond,
    EvalResult? LastTest = null);

/// <summary>What a training run did.</summary>
/// <param name="Iteration">Iterations completed in total (including any resumed from).</param>
/// <param name="LastLoss">Loss of the last batch.</param>
/// <param name="Seconds">Wall time of this run.</param>
/// <param name="Cancelled">True when stopped early by cancellation.</param>
/// <param name="Tests">Periodic test results, by iterations completed.</param>
public sealed record TrainOutcome(int Iteration, double LastLoss, double Seconds, bool Cancelled,
    IReadOnlyList<(int Iteration, EvalResult Result)>? Tests = null);

/// <summary>A test run every <paramref name="Interval"/> iterations during training (0: never).</summary>
/// <param name="Interval">Iterations between tests.</param>
/// <param name="Evaluate">Scores the model (in eval mode; training mode is restored afterwards).</param>
public sealed record PeriodicTest(int Interval, Func<EvalResult> Evaluate);

/// <summary>The training loss of one batch: logits, labels and the images (for a teacher network).</summary>
public delegate TorchSharp.torch.Tensor TrainingLoss(TorchSharp.torch.Tensor logits, TorchSharp.torch.Tensor labels, TorchSharp.torch.Tensor images);

/// <summary>
/// A model whose forward pass depends on which batch it is computing (fine-tuning draws fresh stochastic
/// rounding per batch from the seed, the iteration and the part), told so by <see cref="Trainer"/> before each.
/// </summary>
public interface IBatchAware
{
    /// <summary>Called before the forward pass of part <paramref name="part"/> of 0-based <paramref name="iteration"/>.</summary>
    void BeginBatch(long iteration, int part);
}

/// <summary>
/// A model that constrains its own update (pruning masks, shared weights): <see cref="Trainer"/> calls
/// <see cref="BeforeStep"/> after the gradients of an iteration are complete and before the solver's step, and
/// <see cref="AfterStep"/> after it.
/// </summary>
public interface IStepAware
{
    /// <summary>Called with the complete gradients of 0-based <paramref name="iteration"/>, before the solver updates.</summary>
    void BeforeStep(long iteration);

    /// <summary>Called after the solver's update of 0-based <paramref name="iteration"/>.</summary>
    void AfterStep(long iteration);
}
