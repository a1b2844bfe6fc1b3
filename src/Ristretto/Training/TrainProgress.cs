namespace Ristretto.Training;

/// <summary>A training progress report, sent after every iteration.</summary>
/// <param name="Iteration">Iterations completed.</param>
/// <param name="Total">Iterations planned.</param>
/// <param name="Loss">Loss of the last batch.</param>
/// <param name="LearningRate">Learning rate used for the last batch.</param>
/// <param name="IterationsPerSecond">Smoothed speed.</param>
public sealed record TrainProgress(int Iteration, int Total, double Loss, double LearningRate, double IterationsPerSecond);

/// <summary>What a training run did.</summary>
/// <param name="Iteration">Iterations completed in total (including any resumed from).</param>
/// <param name="LastLoss">Loss of the last batch.</param>
/// <param name="Seconds">Wall time of this run.</param>
/// <param name="Cancelled">True when stopped early by cancellation.</param>
public sealed record TrainOutcome(int Iteration, double LastLoss, double Seconds, bool Cancelled);
