using Ristretto.Data;
using Ristretto.Models;
using Ristretto.Training;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Support;

/// <summary>A LeNet model file for tests that run a job on a model file (no CLI training process).</summary>
public static class LeNetFile
{
    /// <summary>
    /// Writes to <paramref name="path"/> a LeNet (seed 3) trained <paramref name="trainIterations"/> iterations on 256
    /// synthetic digits (0: untrained); returns its BOPs with 4-bit weights and 8-bit activations (a Hessian budget).
    /// </summary>
    public static double Write(string path, int trainIterations)
    {
        using var net = LeNet.Build(seed: 3);
        if (trainIterations > 0)
        {
            using var train = new TensorImageSet(SyntheticDigits.Create(256, seed: 7), CPU);
            var trainer = new Trainer(net, new SolverSettings { Iterations = trainIterations, BatchSize = 32, Seed = 3 });
            using (trainer.Solver)
                trainer.Run(train);
        }
        ModelFile.Save(path, ModelStore.Capture(LeNet.ArchitectureName, 10, net));
        return Ristretto.Hardware.BitOperations.Macs(net).Values.Sum(m => m * 4.0 * 8.0);
    }
}
