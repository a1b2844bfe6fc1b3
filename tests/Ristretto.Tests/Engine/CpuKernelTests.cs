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
        using (OneDnn.Gradients()) // outside evaluation scopes (which other tests may hold on other threads meanwhile)
            Assert.Equal(asked, LibTorchContext.Mkldnn);
        Assert.Equal(false, LibTorchContext.Nnpack);
        Assert.True(LibTorchContext.TrySetMklDynamic(false), "libtorch_cpu exports MKL_Set_Dynamic");
    }

    /// <summary>
    /// Regression test for the NaN losses libtorch 2.10's oneDNN convolutions gave when they read the unwritten last channel
    /// block of a blocked copy of conv2's 20-channel input (OneDnnPaddingTests; docs/performance.md). Our convolutions now
    /// pad such channels while oneDNN is on (also with RISTRETTO_MKLDNN=1, in training); it must never fail. Fails on any non-finite loss. Uses MNIST (fetched into the cache on first use).
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
