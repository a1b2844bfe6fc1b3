using System.Globalization;
using Ristretto.Training;

namespace Ristretto.Jobs;

/// <summary>Turns training reports into a stage's (iteration, detail) callback: loss, learning rate, last test, speed.</summary>
public sealed class TrainingProgress(Action<int, string> report) : IProgress<TrainProgress>
{
    /// <inheritdoc/>
    public void Report(TrainProgress value) => report(value.Iteration, string.Create(CultureInfo.InvariantCulture,
        $"iteration {value.Iteration}/{value.Total} loss {value.Loss:F4} lr {value.LearningRate:G3}{(value.LastTest is { } test ? $" test top-1 {100 * test.Top1:F2} %" : "")} {value.IterationsPerSecond:F0} it/s"));
}
