using System.CommandLine;
using Ristretto.Cli.Infrastructure;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Jobs;
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
            if (r.GetValue(snapshot) < 0)
                throw new RistrettoException($"--snapshot must be ≥ 0, got {r.GetValue(snapshot)}");
            var result = ModelTrainer.Run(new TrainSettings(r.GetValue(model)!, r.GetValue(output)!, settings, iterationsGiven, r.GetValue(snapshot),
                r.GetValue(resume), r.GetValue(device), dataSettings), ProgressDisplay.Observer, cancel);
            if (result.Cancelled)
                return CommandRunner.Interrupted;
            Console.WriteLine($"trained {result.Architecture} for {result.Iterations - result.StartIteration:N0} iterations in {result.Seconds:F1} s (final batch loss {result.LastLoss:F4})");
            Console.WriteLine($"test: {JobJson.Describe(result.Test!)}");
            Console.WriteLine($"model written to {result.Output}");
            JobJson.Write(r.GetValue(json), result.ToJson());
            return 0;
        }));
        return command;
    }
}
