using System.Diagnostics;
using Ristretto.Data;
using Ristretto.Data.Sources;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Finetuning;
using Ristretto.Formats;
using Ristretto.Quantization;
using Ristretto.Training;
using Ristretto.Zoo;
using TorchSharp;

namespace Ristretto.Bench;

/// <summary>
/// Soak: 10,000 evaluation batches of a DFP-8 LeNet and 2,000 fine-tuning iterations of a 4-bit plan, recording this
/// thread's live native tensors (TorchSharp's <c>DisposeScopeManager.Statistics.ThreadTotalLiveCount</c>: tensors
/// created minus disposed) and the process's resident memory after a full collection, early and late. A leak shows as
/// a live count that grows with the iterations, or resident memory that climbs between the two late samples.
/// With --quick: a tenth of each.
/// </summary>
internal sealed class SoakBenchmark : IBenchmark
{
    private const int Images = 640, Batch = 16;

    public string Name => "soak";

    public string Description => "10,000 eval batches and 2,000 fine-tuning iterations: live tensors and RSS stay flat";

    public void Run(BenchOptions options)
    {
        var device = DeviceSelector.Resolve(options.Device);
        // One intra-op thread: the soak counts tensors and bytes, not speed, and on a shared machine libtorch's spinning
        // worker threads made each batch several times slower.
        torch.set_num_threads(1);
        int scale = options.Quick ? 10 : 1;
        int evalBatches = 10_000 / scale, iterations = 2_000 / scale;
        var set = Synthetic();
        using var data = new TensorImageSet(set, device);
        Console.WriteLine($"device {device}; LeNet, {Images} synthetic 28×28 images, batch {Batch}");
        Console.WriteLine($"{"phase",-10} {"iteration",10} {"live tensors",13} {"RSS MiB",9} {"managed MiB",12} {"seconds",8}");

        var clock = Stopwatch.StartNew();
        var evalSamples = new List<Sample>();
        using (var network = ModelZoo.Create("lenet", 10))
        {
            network.to(device);
            using var quantized = new QuantizedNetwork(network, Plan(8, 6, 0, Rounding.Nearest));
            int perPass = (Images + Batch - 1) / Batch;
            int[] at = [evalBatches / 100, evalBatches / 10, evalBatches];
            for (int done = 0; done < evalBatches;)
            {
                int batches = Math.Min(perPass, evalBatches - done);
                Evaluator.Evaluate(quantized, data, Batch, batches);
                int before = done;
                done += batches;
                if (at.Any(a => a > before && a <= done))
                    evalSamples.Add(Report("evaluate", done, clock));
            }
        }

        var trainSamples = new List<Sample>();
        using (var network = ModelZoo.Create("lenet", 10))
        {
            network.to(device);
            var finetune = new FinetuneOptions
            {
                Solver = new SolverSettings { Iterations = iterations, BatchSize = Batch, BaseLr = 0.001, Policy = LearningRatePolicy.Fixed },
                TrainingRounding = Rounding.Stochastic,
            };
            using var loop = new FinetuneLoop(network, Plan(4, 2, 2, Rounding.Stochastic), finetune);
            int[] at = [iterations / 100, iterations / 10, iterations];
            loop.Run(data, progress: new Synchronous(p =>
            {
                if (at.Contains(p.Iteration))
                    trainSamples.Add(Report("finetune", p.Iteration, clock));
            }));
        }

        Console.WriteLine();
        Summarise("evaluation", evalSamples);
        Summarise("fine-tuning", trainSamples);
    }

    private static void Summarise(string phase, List<Sample> samples)
    {
        var (early, late) = (samples[^2], samples[^1]);
        Console.WriteLine($"{phase}: live tensors {early.Live} at {early.Iteration:N0} → {late.Live} at {late.Iteration:N0} " +
            $"({late.Live - early.Live:+0;-0;0}); RSS {early.RssMiB:F1} → {late.RssMiB:F1} MiB ({late.RssMiB - early.RssMiB:+0.0;-0.0;0.0}), " +
            $"ratio {late.RssMiB / early.RssMiB:F3}");
    }

    private static Sample Report(string phase, int iteration, Stopwatch clock)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        var sample = new Sample(iteration, DisposeScopeManager.Statistics.ThreadTotalLiveCount, self.WorkingSet64 / 1048576.0, GC.GetTotalMemory(false) / 1048576.0);
        Console.WriteLine($"{phase,-10} {iteration,10:N0} {sample.Live,13:N0} {sample.RssMiB,9:F1} {sample.ManagedMiB,12:F1} {clock.Elapsed.TotalSeconds,8:F1}");
        return sample;
    }

    /// <summary>The plan for LeNet's four weighted layers: weights and activations in DFP of <paramref name="bits"/>.</summary>
    private static QuantizationPlan Plan(int bits, int weightFraction, int activationFraction, Rounding rounding)
    {
        var spec = new LayerQuantization(new DynamicFixedPoint(bits, weightFraction), new DynamicFixedPoint(bits, weightFraction),
            new DynamicFixedPoint(bits, activationFraction), new DynamicFixedPoint(bits, activationFraction), rounding);
        return new QuantizationPlan(new[] { "conv1", "conv2", "ip1", "ip2" }.ToDictionary(n => n, _ => spec, StringComparer.Ordinal), $"soak dfp {bits}");
    }

    /// <summary>Seeded noise images with a class each: enough for the loops to run real batches.</summary>
    private static ImageSet Synthetic()
    {
        var rng = new SplitMix64(7);
        var pixels = new byte[Images * 28 * 28];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = (byte)(rng.NextDouble() * 256);
        var labels = Enumerable.Range(0, Images).Select(i => (byte)(i % 10)).ToArray();
        return new ImageSet("soak", pixels, labels, 28, 28);
    }

    private sealed record Sample(int Iteration, long Live, double RssMiB, double ManagedMiB);

    /// <summary>Reports on the training thread (Progress&lt;T&gt; would post to the thread pool, where the statistics are another thread's).</summary>
    private sealed class Synchronous(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
