using System.Diagnostics;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>The best wall time of a tensor-producing step over repetitions, after one warm-up run.</summary>
internal static class BestTime
{
    /// <summary>
    /// Seconds of the fastest of <paramref name="reps"/> runs of <paramref name="run"/>, each in its own dispose scope;
    /// on a CUDA <paramref name="device"/> the clock stops after the queued kernels have finished.
    /// </summary>
    public static double Of(int reps, Func<Tensor> run, Device? device = null)
    {
        bool cudaDevice = device?.type == TorchSharp.DeviceType.CUDA;
        using (var warm = NewDisposeScope())
            run();
        double best = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            using var scope = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            run();
            if (cudaDevice)
                cuda.synchronize();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }
}
