using TorchSharp;
using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Models;
using Ristretto.Tests.Support;
using Ristretto.Training;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Training;

public class TrainerTests
{
    private static readonly SolverSettings Small = new() { Iterations = 60, BatchSize = 32, Seed = 3 };

    [Fact]
    public void Should_Learn_A_Synthetic_Task()
    {
        using var train = new TensorImageSet(SyntheticDigits.Create(512, seed: 1), CPU);
        using var test = new TensorImageSet(SyntheticDigits.Create(200, seed: 2), CPU);
        using var net = LeNet.Build(seed: 3);
        double before = Evaluator.Evaluate(net, test).Top1;
        var trainer = new Trainer(net, Small);
        using var solver = trainer.Solver;
        var outcome = trainer.Run(train);
        var after = Evaluator.Evaluate(net, test);
        Assert.Equal(60, outcome.Iteration);
        Assert.True(after.Top1 > 0.9 && after.Top1 > before + 0.3, $"top-1 {before:F3} → {after.Top1:F3}");
        Assert.Equal(1.0, after.Top5, 6);
        Assert.Equal(200, after.Images);
    }

    [Fact]
    public void Should_Resume_From_A_Checkpoint_To_Identical_Weights()
    {
        using var dir = new TempDir();
        using var train = new TensorImageSet(SyntheticDigits.Create(256, seed: 1), CPU);
        var settings = Small with { Iterations = 40 };

        using var straight = LeNet.Build(seed: settings.Seed);
        var t1 = new Trainer(straight, settings);
        using (t1.Solver)
            t1.Run(train);

        using var first = LeNet.Build(seed: settings.Seed);
        var t2 = new Trainer(first, settings);
        using (t2.Solver)
        {
            using var cts = new CancellationTokenSource();
            t2.Run(train, checkpointInterval: 20, checkpoint: it =>
            {
                TrainingCheckpoint.Save(dir.File("c.rstm"), "lenet", 10, first, t2.Solver, settings, it);
                cts.Cancel();
            }, cancel: cts.Token);
        }

        var saved = ModelFile.Load(dir.File("c.rstm"));
        var (iteration, savedSettings) = TrainingCheckpoint.ReadState(saved, "c.rstm");
        Assert.Equal(20, iteration);
        Assert.Equal(settings, savedSettings);
        using var resumed = ModelStore.Instantiate(saved, CPU);
        var t3 = new Trainer(resumed, savedSettings);
        using (t3.Solver)
        {
            t3.Solver.ImportState(saved.Solver!.Tensors);
            t3.Run(train, startIteration: iteration);
        }

        foreach (var ((name, a), (_, b)) in straight.named_parameters().Zip(resumed.named_parameters()))
            Assert.True(a.data<float>().ToArray().SequenceEqual(b.data<float>().ToArray()), $"{name} differs after resume");
    }

    [Fact]
    public void Should_Not_Leak_Tensors_Across_Iterations()
    {
        using var train = new TensorImageSet(SyntheticDigits.Create(128, seed: 1), CPU);
        using var net = LeNet.Build(seed: 3);
        var trainer = new Trainer(net, Small with { Iterations = 30 });
        using var solver = trainer.Solver;
        trainer.Run(train, startIteration: 0); // warm-up creates the momentum buffers
        var trainer2 = new Trainer(net, Small with { Iterations = 60 });
        using var solver2 = trainer2.Solver;
        trainer2.Run(train, startIteration: 50);
        DisposeScopeManager.Statistics.Reset();
        trainer2.Run(train, startIteration: 30);
        Assert.InRange(DisposeScopeManager.Statistics.ThreadTotalLiveCount, 0, 12); // momentum buffers only
    }
}
