using Ristretto.Jobs;
using System.CommandLine;
using Ristretto.Cli.Infrastructure;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Models;
using Ristretto.Training;
using Ristretto.Zoo;
using TorchSharp;

namespace Ristretto.Cli.Commands;

/// <summary>
/// <c>ristretto train --model lenet --data mnist --out PATH</c>: trains a zoo network with Caffe's SGD,
/// checkpoints atomically every <c>--snapshot</c> iterations to <c>PATH.ckpt</c>, resumes with
/// <c>--resume</c>, and scores the result on the test set.
/// </summary>
public static class TrainCommand
{
    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var defaults = new SolverSettings();
        var model = new Option<string>("--model") { Description = $"Zoo architecture to train: {string.Join(", ", ModelZoo.Names)}.", DefaultValueFactory = _ => LeNet.ArchitectureName };
        var output = new Option<string>("--out") { Description = "Model file to write (.rstm); checkpoints go to OUT.ckpt.", Required = true };
        var iterations = CommonOptions.PositiveInt("--iterations", "Training iterations (batches).", defaults.Iterations);
        var batch = CommonOptions.PositiveInt("--batch-size", "Training batch size.", defaults.BatchSize);
        var lr = new Option<double>("--lr") { Description = "Base learning rate.", DefaultValueFactory = _ => defaults.BaseLr };
        var policy = new Option<LearningRatePolicy>("--lr-policy") { Description = "Learning-rate schedule (Caffe's): Fixed, Inv, Step.", DefaultValueFactory = _ => defaults.Policy };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => defaults.Momentum };
        var decay = new Option<double>("--weight-decay") { Description = "L2 weight decay.", DefaultValueFactory = _ => defaults.WeightDecay };
        var seed = new Option<ulong>("--seed") { Description = "Seed of initial weights and data order.", DefaultValueFactory = _ => defaults.Seed };
        var snapshot = new Option<int>("--snapshot") { Description = "Write a checkpoint every N iterations (0: only on Ctrl+C).", DefaultValueFactory = _ => 1000 };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUT.ckpt (or OUT) with its settings and state." };
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("train", "Train a zoo network (LeNet: Caffe's lenet_solver by default) and score it on the evaluated data.")
        {
            model, output, iterations, batch, lr, policy, momentum, decay, seed, snapshot, resume, device, json,
        };
        var data = new DataOptions(command, training: true);
        command.SetAction(r => CommandRunner.Run(cancel =>
        {
            var settings = new SolverSettings
            {
                Iterations = r.GetValue(iterations), BatchSize = r.GetValue(batch), BaseLr = r.GetValue(lr),
                Policy = r.GetValue(policy), Momentum = r.GetValue(momentum), WeightDecay = r.GetValue(decay), Seed = r.GetValue(seed),
            }.Validate();
            bool iterationsGiven = r.GetResult(iterations) is { Implicit: false };
            var dataSettings = data.Settings(r);
            dataSettings = dataSettings with { Streaming = dataSettings.Streaming with { Seed = settings.Seed } };
            return Execute(r.GetValue(model)!, r.GetValue(output)!, settings, iterationsGiven, r.GetValue(snapshot), r.GetValue(resume),
                r.GetValue(device)!, dataSettings, r.GetValue(json), cancel);
        }));
        return command;
    }

    private static int Execute(string architecture, string output, SolverSettings settings, bool iterationsGiven, int snapshot,
        bool resume, string deviceSpec, DataSettings data, string? json, CancellationToken cancel)
    {
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
            settings = saved with { Iterations = iterationsGiven ? settings.Iterations : saved.Iterations };
            start = iteration;
            architecture = resumeFrom.Architecture;
            if (start >= settings.Iterations)
                throw new RistrettoException($"--resume: {from} already has {start} of {settings.Iterations} iterations; pass a larger --iterations to continue");
            Log.Info($"Resuming from {from} at iteration {start:N0} of {settings.Iterations:N0}");
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
            ? ModelZoo.Create(architecture, classes, settings.Seed)
            : ModelStore.Instantiate(resumeFrom, torch.CPU, "checkpoint");
        var remembered = resumeFrom is null ? null : ModelPreprocessing.Read(resumeFrom.Metadata, "checkpoint");
        using var job = JobData.Open(data, network.Inputs[0].Shape, device, eval: true, train: true, calibration: false, remembered, Log.Info);
        var trainSet = job.Train!;
        var testSet = job.Eval!;
        classes = resumeFrom?.Classes ?? classes;
        network.to(device);
        var trainer = new Trainer(network, settings);
        using var solver = trainer.Solver;
        if (resumeFrom?.Solver is { } state)
            solver.ImportState(state.Tensors);

        var metadata = new Dictionary<string, string> { ["dataset"] = data.TrainData ?? data.Data };
        if (job.Preprocessing is { } used && used != Data.Images.Preprocessing.Idx)
            ModelPreprocessing.Write(metadata, used);
        void Checkpoint(int iteration) =>
            TrainingCheckpoint.Save(checkpointPath, architecture, classes, network, solver, settings, iteration, metadata);

        Log.Info($"Training {architecture} on {trainSet.Count:N0} images ({device}): {settings.Iterations:N0} iterations, batch {settings.BatchSize}, " +
                 $"lr {settings.BaseLr} ({settings.Policy}), momentum {settings.Momentum}, weight decay {settings.WeightDecay}");
        var outcome = ProgressDisplay.Run("train", settings.Iterations, report =>
            trainer.Run(trainSet, start, ProgressDisplay.ForTraining(report), snapshot, Checkpoint, cancel));
        if (outcome.Cancelled)
        {
            Log.Info($"Stopped at iteration {outcome.Iteration:N0}; checkpoint written to {checkpointPath}. Continue with --resume.");
            return CommandRunner.Interrupted;
        }

        var score = Evaluator.Evaluate(network, testSet);
        TrainingCheckpoint.Save(outPath, architecture, classes, network, solver, settings, outcome.Iteration, metadata);
        if (File.Exists(checkpointPath))
            File.Delete(checkpointPath);
        Console.WriteLine($"trained {architecture} for {outcome.Iteration - start:N0} iterations in {outcome.Seconds:F1} s (final batch loss {outcome.LastLoss:F4})");
        Console.WriteLine($"test: {JobJson.Describe(score)}");
        Console.WriteLine($"model written to {outPath}");
        var report = JobJson.Accuracy(score);
        report["train_seconds"] = Math.Round(outcome.Seconds, 3);
        report["iterations"] = outcome.Iteration;
        JobJson.Write(json, report);
        return 0;
    }
}
