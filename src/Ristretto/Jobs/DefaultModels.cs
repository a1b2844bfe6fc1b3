using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Models;
using Ristretto.Training;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Jobs;

/// <summary>
/// The embedded default network: the zoo LeNet trained on MNIST with Caffe's solver settings. It is
/// trained once, on first use, and cached as a model file under the cache folder.
/// </summary>
public static class DefaultModels
{
    /// <summary>Bumped when the default training recipe changes, so an old cache is not reused.</summary>
    public const int RecipeVersion = 1;

    /// <summary>Where the trained default LeNet is cached.</summary>
    public static string LeNetMnistPath => Path.Combine(CachePaths.Root, "models", $"lenet-mnist-v{RecipeVersion}.rstm");

    /// <summary>
    /// Returns the cached trained LeNet, training it first (about 10,000 iterations) if it is not cached.
    /// </summary>
    public static string EnsureLeNetMnist(Device device, Action<string>? log = null, IProgress<TrainProgress>? progress = null)
    {
        string path = LeNetMnistPath;
        if (File.Exists(path))
            return path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // One process trains; others started meanwhile wait for it and then load its file (training takes minutes to
        // most of an hour on a busy 2-core machine; four concurrent trainings were seen when the lock was missing).
        using var trainingLock = IO.FileLock.Acquire(path + ".lock", TimeSpan.FromHours(3),
            () => log?.Invoke($"Waiting for another process that is training the default LeNet into {path}"));
        if (File.Exists(path))
            return path;
        var files = DatasetFiles.Resolve("mnist", log);
        var settings = new SolverSettings();
        log?.Invoke($"Training the default LeNet on MNIST once ({settings.Iterations:N0} iterations, Caffe's lenet_solver); it is cached at {path}");
        using var train = new TensorImageSet(files.LoadTrain(), device);
        using var test = new TensorImageSet(files.LoadTest(), device);
        using var model = LeNet.Build(train.Source.Classes, settings.Seed);
        model.to(device);
        var trainer = new Trainer(model, settings);
        using var solver = trainer.Solver;
        var outcome = trainer.Run(train, progress: progress);
        var score = Evaluator.Evaluate(model, test);
        log?.Invoke($"Default LeNet trained in {outcome.Seconds:F0} s: top-1 {score.Top1:P2}, top-5 {score.Top5:P2} on {score.Images:N0} test images");
        TrainingCheckpoint.Save(path, LeNet.ArchitectureName, train.Source.Classes, model, solver, settings, outcome.Iteration,
            new Dictionary<string, string> { ["dataset"] = "mnist", ["top1"] = score.Top1.ToString("R", System.Globalization.CultureInfo.InvariantCulture) });
        return path;
    }
}
