using Ristretto.Evaluation;
using Ristretto.Finetuning;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Search;
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
        Solver = FinetuneOptions.RistrettoRecipe.Solver with
        {
            Iterations = iterations, BatchSize = 16, IterSize = iterSize, Solver = solver, Seed = 7,
            BaseLr = solver == SolverKind.Adam ? 1e-4 : 1e-3,
        },
        DistillAlpha = distill,
        TestInterval = 0,
    };

    private Network Fresh() => (Network)ModelStore.Instantiate(_f.Trained, CPU);

    /// <summary>A 2-bit per-channel weight, 4-bit (asymmetric where negative) activation integer plan from calibration.</summary>
    private QuantizationPlan IntegerPlan(StepLearning learning)
    {
        using var net = Fresh();
        var ranges = Calibration.Measure(net, _f.LeNet.Train, 2, 64);
        var formats = new IntegerScheme(PerChannelWeights: true, AsymmetricActivations: true).Formats(net);
        return new QuantizationPlan(net.Nodes.Where(n => n.Layer is IWeightedLayer).Select(n => n.Layer.LayerName)
            .ToDictionary(name => name, name => formats(name, ranges[name], 2, 4) with { Learning = learning }));
    }

    [Theory]
    [InlineData(SolverKind.Sgd, 1, 0.0, false)]
    [InlineData(SolverKind.Adam, 2, 0.5, false)]
    [InlineData(SolverKind.Sgd, 1, 0.0, true)]
    public void Resuming_From_A_Checkpoint_Should_Give_The_Same_Weights_As_An_Uninterrupted_Run(SolverKind solver, int iterSize, double distill, bool learnSteps)
    {
        using var dir = new TempDir();
        using var teacher = Fresh();
        var plan = learnSteps ? IntegerPlan(StepLearning.LsqPlus) : FinetuneNetworkTests.Plan();

        using var straight = Fresh();
        IReadOnlyDictionary<string, float[]> straightSteps, resumedSteps;
        using (var ft = new FinetuneLoop(straight, plan, Options(200, solver, iterSize, distill), teacher))
        {
            ft.Run(_f.LeNet.Train);
            straightSteps = ft.Model.LearnedStepValues();
        }

        using (var first = Fresh())
        using (var ft = new FinetuneLoop(first, plan, Options(200, solver, iterSize, distill), teacher))
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
        using (var ft = new FinetuneLoop(resumed, savedPlan, options, teacher))
        {
            FinetuneCheckpoint.Restore(data, ft, "run.ckpt");
            ft.Run(_f.LeNet.Train, startIteration: iteration);
            resumedSteps = ft.Model.LearnedStepValues();
        }
        // Per layer an input, weight and output scale, and an offset for each asymmetric activation.
        Assert.Equal(learnSteps ? 12 : 0, straightSteps.Keys.Count(k => k.EndsWith(":scale", StringComparison.Ordinal)));
        Assert.Equal(learnSteps, straightSteps.Keys.Any(k => k.EndsWith(":offset", StringComparison.Ordinal)));
        Assert.Equal(straightSteps.Keys.Order(), resumedSteps.Keys.Order());
        foreach (var (name, values) in straightSteps)
            Assert.True(values.SequenceEqual(resumedSteps[name]), $"{name} differs after resume");

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
        using (var ft = new FinetuneLoop(net, plan, Options(300) with { TrainingRounding = Rounding.Nearest, Solver = Options(300).Solver with { BaseLr = 0.01 } }))
        {
            ft.Run(_f.LeNet.Train);
            ft.Model.SnapToGrid();
        }
        using (var q = new QuantizedNetwork(net, plan))
            after = Evaluator.Evaluate(q, _f.LeNet.Test).Top1;
        Assert.True(after > before + 0.3, $"top-1 {before:F3} → {after:F3}");
    }

    [Fact]
    public void Learned_Steps_Should_Move_And_The_Output_Should_Lie_On_Their_Grid()
    {
        using var net = Fresh();
        var plan = IntegerPlan(StepLearning.LsqPlus);
        using var ft = new FinetuneLoop(net, plan, Options(100) with { TrainingRounding = Rounding.Nearest });
        ft.Run(_f.LeNet.Train);
        var current = ft.Model.CurrentPlan();
        foreach (var (name, spec) in plan.Layers)
        {
            Assert.NotEqual(((IntegerFormat)spec.Weights!).Scales, ((IntegerFormat)current.Layers[name].Weights!).Scales);
            Assert.NotEqual(((IntegerFormat)spec.Input!).Scales, ((IntegerFormat)current.Layers[name].Input!).Scales);
            Assert.Equal(StepLearning.LsqPlus, current.Layers[name].Learning);
        }

        // At test the network computes exactly what the learned plan computes on the float weights ...
        using var scope = NewDisposeScope();
        var (images, _) = _f.LeNet.Test.Gather([.. Enumerable.Range(0, 50).Select(i => (long)i)]);
        using var q = new QuantizedNetwork(net, current);
        ft.Model.eval();
        using (no_grad())
        {
            var a = ft.Model.forward(images);
            var b = q.forward(images);
            Assert.True(Bits.Same(a, b), "eval-mode fine-tuning network and the learned plan disagree");
        }

        // ... and snapping puts every weight on the learned grid.
        ft.Model.SnapToGrid();
        foreach (var (name, spec) in current.Layers)
        {
            var layer = (IWeightedLayer)net[name];
            using var w = spec.Weights!.Trim(layer.Weight);
            Assert.True(Bits.Same(w, layer.Weight), $"{name}: a weight is off the learned grid");
        }
    }

    [Fact]
    public void Fine_Tuning_Should_Not_Leak_Tensors_Per_Iteration()
    {
        using var net = Fresh();
        using var ft = new FinetuneLoop(net, FinetuneNetworkTests.Plan(), Options(1000) with { Solver = Options(1000).Solver with { BatchSize = 4 } });
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
        Assert.Contains("trims nothing", Assert.Throws<RistrettoException>(() => new FinetuneLoop(net, QuantizationPlan.Float, Options(10))).Message);
        Assert.Contains("teacher", Assert.Throws<RistrettoException>(() => new FinetuneLoop(net, FinetuneNetworkTests.Plan(), Options(10, distill: 0.5))).Message);
    }

    private sealed class Progress(Action<TrainProgress> action) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => action(value);
    }
}
