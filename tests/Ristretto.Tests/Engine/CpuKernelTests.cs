using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Training;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Engine;

public class CpuKernelTests
{
    /// <summary>No explicit Initialize: loading the library must be enough (a module initializer does it).</summary>
    [Fact]
    public void Should_Turn_Off_OneDnn_And_Nnpack_Unless_Asked()
    {
        bool asked = Environment.GetEnvironmentVariable(TorchRuntime.MkldnnVariable) == "1";
        Assert.Equal(asked, LibTorchContext.Mkldnn);
        Assert.Equal(false, LibTorchContext.Nnpack);
        Assert.True(LibTorchContext.TrySetMklDynamic(false), "libtorch_cpu exports MKL_Set_Dynamic");
    }

    /// <summary>
    /// Regression test for libtorch 2.10's oneDNN kernels returning NaN for finite inputs on AMD Zen 5:
    /// 1.4 % of LeNet training iterations on MNIST in a stand-alone harness. Through the trainer the bug
    /// shows less often: with RISTRETTO_MKLDNN=1 this test failed in 1 of 3 runs here, so it is a
    /// probabilistic guard, not proof. Synthetic images did not trigger the bug at all. Uses MNIST
    /// (fetched into the cache on first use). Re-measured 2026-12-01 with every Scalar held: 3 runs of this test with
    /// RISTRETTO_MKLDNN=1 passed, but 2 of 3 default 10,000-iteration CLI trainings with it diverged (docs/performance.md),
    /// so oneDNN stays off by default and this test keeps failing on a non-finite loss.
    /// </summary>
    [Fact]
    public void Should_Train_LeNet_On_Mnist_For_1000_Iterations_Without_A_NonFinite_Loss()
    {
        TorchRuntime.Initialize();
        using var train = new TensorImageSet(DatasetFiles.Resolve("mnist").LoadTrain(), CPU);
        using var net = LeNet.Build(seed: 2);
        var settings = new SolverSettings { Iterations = 1000, BatchSize = 64, Seed = 2 };
        var trainer = new Trainer(net, settings);
        using var solver = trainer.Solver;
        var losses = new List<double>();
        trainer.Run(train, progress: new Collect(losses));
        Assert.Equal(1000, losses.Count);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
    }

    private sealed class Collect(List<double> losses) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => losses.Add(value.Loss);
    }
}
