using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Models;
using Ristretto.Training;
using Ristretto.Zoo;
using TorchSharp;

namespace Ristretto.Jobs;

/// <summary>Everything <see cref="ModelTrainer"/> needs, named after the <c>train</c> verb's options.</summary>
public sealed record TrainSettings(string Architecture, string Output, SolverSettings Solver, bool IterationsGiven, int Snapshot, bool Resume,
    string? Device, DataSettings Data);

/// <summary>What <see cref="ModelTrainer.Run"/> did; <see cref="Cancelled"/> when it stopped early (the checkpoint holds the state).</summary>
public sealed record TrainResult(string Architecture, EvalResult? Test, int StartIteration, int Iterations, double Seconds, double LastLoss,
    bool Cancelled, string Output, string CheckpointPath)
{
    /// <summary>The JSON document of this result (the CLI's <c>--json</c>).</summary>
    public Dictionary<string, object> ToJson()
    {
        var report = JobJson.Accuracy(Test ?? throw new InvalidOperationException("a cancelled run has no test score"));
        report["train_seconds"] = Math.Round(Seconds, 3);
        report["iterations"] = Iterations;
        return report;
    }
}

/// <summary>The <c>train</c> job as a library call: a zoo network trained on labelled data with Caffe's solvers, checkpoints and resume, then scored.</summary>
public static class ModelTrainer
{
    /// <summary>Runs the job; <paramref name="observer"/> sees progress and notes.</summary>
    public static TrainResult Run(TrainSettings settings, IJobObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        observer ??= JobObserver.Silent;
        var (architecture, output, solverSettings, iterationsGiven, snapshot, resume, deviceSpec, data) = settings;
        var solverOptions = solverSettings;
        if (snapshot < 0)
            throw new RistrettoException($"--snapshot must be ≥ 0, got {snapshot}");
        string outPath = Path.GetFullPath(output);
        string checkpointPath = outPath + ".ckpt";
        Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
        var device = DeviceSelector.Resolve(deviceSpec);

        ModelData? resumeFrom = null;
        int start = 0;
        if (resume)
        {
            string from = File.Exists(checkpointPath) ? checkpointPath : File.Exists(outPath) ? outPath
                : throw new RistrettoException($"--resume: neither {checkpointPath} nor {outPath} exists");
            resumeFrom = ModelFile.Load(from);
            var (iteration, saved) = TrainingCheckpoint.ReadState(resumeFrom, from);
            solverOptions = saved with { Iterations = iterationsGiven ? solverOptions.Iterations : saved.Iterations };
            start = iteration;
            architecture = resumeFrom.Architecture;
            if (start >= solverOptions.Iterations)
                throw new RistrettoException($"--resume: {from} already has {start} of {solverOptions.Iterations} iterations; pass a larger --iterations to continue");
            observer.Info($"Resuming from {from} at iteration {start:N0} of {solverOptions.Iterations:N0}");
        }

        int classes;
        using (var probe = DataSource.Open(data.TrainData ?? data.Data, data.Open))
        {
            var labelled = probe.Train ?? probe.Eval;
            if (!labelled.Labelled)
                throw new RistrettoException($"{labelled.Name}: training needs labelled images");
            classes = labelled.Classes;
        }
        using var network = resumeFrom is null
            ? ModelZoo.Create(architecture, classes, solverOptions.Seed)
            : ModelStore.Instantiate(resumeFrom, torch.CPU, "checkpoint");
        var remembered = resumeFrom is null ? null : ModelPreprocessing.Read(resumeFrom.Metadata, "checkpoint");
        using var job = JobData.Open(data, network.Inputs[0].Shape, device, eval: true, train: true, calibration: false, remembered, observer.Info);
        var trainSet = job.Train!;
        var testSet = job.Eval!;
        classes = resumeFrom?.Classes ?? classes;
        network.to(device);
        var trainer = new Trainer(network, solverOptions);
        using var solver = trainer.Solver;
        if (resumeFrom?.Solver is { } state)
            solver.ImportState(state.Tensors);

        var metadata = new Dictionary<string, string> { ["dataset"] = data.TrainData ?? data.Data };
        if (job.Preprocessing is { } used && used != Data.Images.Preprocessing.Idx)
            ModelPreprocessing.Write(metadata, used);
        void Checkpoint(int iteration) =>
            TrainingCheckpoint.Save(checkpointPath, architecture, classes, network, solver, solverOptions, iteration, metadata);

        observer.Info($"Training {architecture} on {trainSet.Count:N0} images ({device}): {solverOptions.Iterations:N0} iterations, batch {solverOptions.BatchSize}, " +
                 $"lr {solverOptions.BaseLr} ({solverOptions.Policy}), momentum {solverOptions.Momentum}, weight decay {solverOptions.WeightDecay}");
        var outcome = observer.Stage("train", solverOptions.Iterations, report =>
            trainer.Run(trainSet, start, new TrainingProgress(report), snapshot, Checkpoint, cancel));
        if (outcome.Cancelled)
        {
            observer.Info($"Stopped at iteration {outcome.Iteration:N0}; checkpoint written to {checkpointPath}. Continue with --resume.");
            return new TrainResult(architecture, null, start, outcome.Iteration, outcome.Seconds, outcome.LastLoss, true, outPath, checkpointPath);
        }

        var score = Evaluator.Evaluate(network, testSet);
        TrainingCheckpoint.Save(outPath, architecture, classes, network, solver, solverOptions, outcome.Iteration, metadata);
        if (File.Exists(checkpointPath))
            File.Delete(checkpointPath);
        return new TrainResult(architecture, score, start, outcome.Iteration, outcome.Seconds, outcome.LastLoss, false, outPath, checkpointPath);
    }
}
