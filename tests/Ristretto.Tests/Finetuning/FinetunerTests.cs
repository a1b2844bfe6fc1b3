using Ristretto.Evaluation;
using Ristretto.Finetuning;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Ristretto.Training;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Finetuning;

public class FinetunerTests : IClassFixture<FinetunerTests.Fixture>
{
    private readonly Fixture _f;

    public FinetunerTests(Fixture fixture) => _f = fixture;

    public sealed class Fixture : IDisposable
    {
        public TrainedLeNet LeNet { get; } = new();

        public ModelData Trained => ModelStore.Capture("lenet", 10, LeNet.Net);

        public void Dispose() => LeNet.Dispose();
    }

    private static FinetuneOptions Options(int iterations, SolverKind solver = SolverKind.Sgd, int iterSize = 1, double distill = 0) => new()
    {
        Solver = new FinetuneOptions().Solver with
        {
            Iterations = iterations, BatchSize = 16, IterSize = iterSize, Solver = solver, Seed = 7,
            BaseLr = solver == SolverKind.Adam ? 1e-4 : 1e-3,
        },
        DistillAlpha = distill,
        TestInterval = 0,
    };

    private Network Fresh() => (Network)ModelStore.Instantiate(_f.Trained, CPU);

    [Theory]
    [InlineData(SolverKind.Sgd, 1, 0.0)]
    [InlineData(SolverKind.Adam, 2, 0.5)]
    public void Resuming_From_A_Checkpoint_Should_Give_The_Same_Weights_As_An_Uninterrupted_Run(SolverKind solver, int iterSize, double distill)
    {
        using var dir = new TempDir();
        using var teacher = Fresh();
        var plan = FinetuneNetworkTests.Plan();

        using var straight = Fresh();
        using (var ft = new Finetuner(straight, plan, Options(200, solver, iterSize, distill), teacher))
            ft.Run(_f.LeNet.Train);

        using (var first = Fresh())
        using (var ft = new Finetuner(first, plan, Options(200, solver, iterSize, distill), teacher))
        {
            using var stop = new CancellationTokenSource();
            var progress = new Progress(p => { if (p.Iteration == 100) stop.Cancel(); });
            var outcome = ft.Run(_f.LeNet.Train, progress: progress, cancel: stop.Token,
                checkpoint: it => FinetuneCheckpoint.Save(dir.File("run.ckpt"), "lenet", 10, ft, it));
            Assert.True(outcome.Cancelled);
            Assert.Equal(100, outcome.Iteration);
        }

        var data = ModelFile.Load(dir.File("run.ckpt"));
        var (iteration, options, savedPlan) = FinetuneCheckpoint.Read(data, "run.ckpt");
        Assert.Equal(100, iteration);
        Assert.Equal(plan.Layers, savedPlan.Layers);
        using var resumed = Fresh();
        using (var ft = new Finetuner(resumed, savedPlan, options, teacher))
        {
            FinetuneCheckpoint.Restore(data, ft, "run.ckpt");
            ft.Run(_f.LeNet.Train, startIteration: iteration);
        }

        var a = straight.named_parameters().ToList();
        var b = resumed.named_parameters().ToList();
        Assert.Equal(a.Select(p => p.name), b.Select(p => p.name));
        for (int i = 0; i < a.Count; i++)
            Assert.True(Bits.Same(a[i].parameter, b[i].parameter), $"{a[i].name} differs after resume");
        using var original = Fresh();
        Assert.False(Bits.Same(original.named_parameters().First().parameter, a[0].parameter), "fine-tuning changed nothing");
    }

    [Fact]
    public void Straight_Through_Training_Should_Teach_A_Two_Bit_Network()
    {
        // Synthetic digits survive the 2-bit plan on the trained net, so train an untrained one through it instead.
        using var net = LeNet.Build(seed: 11);
        var plan = FinetuneNetworkTests.Plan();
        double before, after;
        using (var q = new QuantizedNetwork(net, plan))
            before = Evaluator.Evaluate(q, _f.LeNet.Test).Top1;
        using (var ft = new Finetuner(net, plan, Options(300) with { TrainingRounding = Rounding.Nearest, Solver = Options(300).Solver with { BaseLr = 0.01 } }))
        {
            ft.Run(_f.LeNet.Train);
            ft.Model.SnapToGrid();
        }
        using (var q = new QuantizedNetwork(net, plan))
            after = Evaluator.Evaluate(q, _f.LeNet.Test).Top1;
        Assert.True(after > before + 0.3, $"top-1 {before:F3} → {after:F3}");
    }

    [Fact]
    public void Fine_Tuning_Should_Not_Leak_Tensors_Per_Iteration()
    {
        using var net = Fresh();
        using var ft = new Finetuner(net, FinetuneNetworkTests.Plan(), Options(1000) with { Solver = Options(1000).Solver with { BatchSize = 4 } });
        ft.Run(_f.LeNet.Train, startIteration: 990); // the solver's state exists from here on
        DisposeScopeManager.Statistics.Reset();
        ft.Run(_f.LeNet.Train, startIteration: 900);
        long after100 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        DisposeScopeManager.Statistics.Reset();
        ft.Run(_f.LeNet.Train, startIteration: 0);
        long after1000 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(after100, after1000);
        Assert.InRange(after1000, 0, 2);
    }

    [Fact]
    public void A_Float_Plan_Or_Distillation_Without_A_Teacher_Should_Be_Refused()
    {
        using var net = Fresh();
        Assert.Contains("trims nothing", Assert.Throws<RistrettoException>(() => new Finetuner(net, QuantizationPlan.Float, Options(10))).Message);
        Assert.Contains("teacher", Assert.Throws<RistrettoException>(() => new Finetuner(net, FinetuneNetworkTests.Plan(), Options(10, distill: 0.5))).Message);
    }

    private sealed class Progress(Action<TrainProgress> action) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => action(value);
    }
}
