using Ristretto.Formats;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// The fused CPU trim against the torch-op chain on a 64×64×56×56 float32 tensor (a ResNet conv activation
/// batch), in the same run. Throughput counts the input tensor's bytes once per trim. The ratio compares the
/// out-of-place fused trim with the chain (both allocate their result); the in-place column allocates nothing.
/// </summary>
internal sealed class TrimBenchmark : IBenchmark
{
    public string Name => "trim";

    public string Description => "fused CPU trim vs the torch-op chain on 64x64x56x56 float32 (GB/s of input, ratio)";

    public void Run(BenchOptions options)
    {
        if (options.Device != "cpu" && options.Device != "auto")
            Console.WriteLine($"note: the fused kernel is CPU-only; running on cpu (asked for {options.Device})");
        int reps = options.Quick ? 2 : 7;
        using var scope = NewDisposeScope();
        manual_seed(1);
        var x = randn(64, 64, 56, 56) * 3f;
        double gigabytes = x.numel() * sizeof(float) / 1e9;
        Console.WriteLine($"tensor {string.Join('x', x.shape)} float32 = {gigabytes * 1000:F1} MB, {Environment.ProcessorCount} cores, torch threads {get_num_threads()}, best of {reps}");
        Console.WriteLine($"{"format",-36} {"rounding",-10} {"fused GB/s",10} {"in-place",9} {"chain GB/s",10} {"ratio",7} {"same bits",9}");
        NumberFormat[] formats = [new DynamicFixedPoint(8, 4), new MiniFloat(4, 3), IntegerFormat.Symmetric(8, 0.05f)];
        var work = x.clone();
        foreach (var format in formats)
        {
            foreach (var rounding in new[] { Rounding.Nearest, Rounding.Stochastic })
            {
                if ((options.Quick || format is not DynamicFixedPoint) && rounding == Rounding.Stochastic)
                    continue;
                if (options.Quick && format is not DynamicFixedPoint)
                    continue;
                double fused = BestTime.Of(reps, () => Trimmer.Trim(format, x, rounding, 1, TrimPath.Fused));
                double inPlace = BestTime.Of(reps, () => Trimmer.TrimInPlace(format, work, rounding, 1, TrimPath.Fused).alias());
                double chain = BestTime.Of(Math.Min(reps, 3), () => Trimmer.Trim(format, x, rounding, 1, TrimPath.Chain));
                bool same;
                using (var s = NewDisposeScope())
                    same = SameBits(Trimmer.Trim(format, x, rounding, 1, TrimPath.Fused), Trimmer.Trim(format, x, rounding, 1, TrimPath.Chain));
                Console.WriteLine($"{format,-36} {rounding,-10} {gigabytes / fused,10:F2} {gigabytes / inPlace,9:F2} {gigabytes / chain,10:F2} {chain / fused,6:F1}x {same,9}");
            }
        }
    }

    private static bool SameBits(Tensor a, Tensor b)
    {
        var x = a.data<float>().ToArray();
        var y = b.data<float>().ToArray();
        return System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(x)
            .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(y));
    }
}
