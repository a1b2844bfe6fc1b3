using Ristretto.Data;
using Ristretto.Graph;
using Ristretto.Training;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Support;

/// <summary>
/// A LeNet trained for 60 iterations on 512 synthetic digits (a few seconds), with its training set and a
/// separate test set: the common starting point of the quantization and export tests.
/// </summary>
public sealed class TrainedLeNet : IDisposable
{
    public TrainedLeNet(int testImages = 200)
    {
        Train = new TensorImageSet(SyntheticDigits.Create(512, seed: 1), CPU);
        Test = new TensorImageSet(SyntheticDigits.Create(testImages, seed: 2), CPU);
        Net = LeNet.Build(seed: 3);
        var trainer = new Trainer(Net, new SolverSettings { Iterations = 60, BatchSize = 32, Seed = 3 });
        using (trainer.Solver)
            trainer.Run(Train);
    }

    public Network Net { get; }

    public TensorImageSet Train { get; }

    public TensorImageSet Test { get; }

    public void Dispose()
    {
        Net.Dispose();
        Train.Dispose();
        Test.Dispose();
    }
}
