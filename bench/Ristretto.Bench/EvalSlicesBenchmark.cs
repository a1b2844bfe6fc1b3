using System.Globalization;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Jobs;
using Ristretto.Models;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// Our float evaluation pass (<see cref="EvaluationNetwork"/>'s BN-folded network, inference mode, oneDNN scope) at
/// several slice sizes (<see cref="SlicedRun"/>), timed in the same interleaved rounds: which slice size the CPU
/// likes, per network. Ratios are over the default slice (<see cref="SlicedRun.DefaultSliceBytes"/>).
/// </summary>
internal sealed class EvalSlicesBenchmark : IBenchmark
{
    public string Name => "eval-slices";

    public string Description => "our float eval pass at several slice sizes (images per slice), ratios over the default slices (16 MiB for the largest blob): LeNet b1000, ResNet-18 and SqueezeNet 1.1 b32";

    /// <summary>RISTRETTO_SLICE_CASES=resnet18:32:1/4/8,… picks networks, batches and slice sizes.</summary>
    private static IEnumerable<(string, int, long[])> Cases() =>
        (Environment.GetEnvironmentVariable("RISTRETTO_SLICE_CASES") ?? "lenet:1000:83/167/334/1000,resnet18:32:1/2/4/8/32,squeezenet1.1:32:1/2/4/8")
        .Split(',').Select(c => c.Split(':'))
        .Select(c => (c[0], int.Parse(c[1], CultureInfo.InvariantCulture), c[2].Split('/').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray()));

    public void Run(BenchOptions options)
    {
        int rounds = options.Quick ? 5 : 7;
        double slot = options.Quick ? 0.3 : 0.6;
        Console.WriteLine($"{get_num_threads()} intra-op threads; oneDNN {OneDnn.Use}; {rounds} interleaved rounds of ≈{slot} s per variant; load {File.ReadAllText("/proc/loadavg").Trim()}");
        foreach (var (name, batch, slices) in Cases())
        {
            using var source = name == LeNet.ArchitectureName && File.Exists(DefaultModels.LeNetMnistPath)
                ? (Network)ModelStore.Load(DefaultModels.LeNetMnistPath, CPU).Model
                : ModelZoo.Create(name, seed: 7);
            source.eval();
            using var prepared = EvaluationNetwork.Prepare(source);
            var net = prepared.Network;
            var sample = net.Inputs[0].Shape.Skip(1).ToArray();
            long perImage = sample.Aggregate(1L, (a, b) => a * b);
            using var x = rand([batch, .. sample]);
            long defaultImages = SlicedRun.ImagesPerSlice(net, x, SlicedRun.DefaultSliceBytes);
            long[] sizes = [defaultImages, .. slices.Where(s => s != defaultImages)];
            var variants = sizes.Select(images => (Action)(() =>
            {
                using var mode = inference_mode();
                using var onednn = OneDnn.Evaluation();
                using var scope = NewDisposeScope();
                _ = JitConvBenchmark.InSlices(net, x, images).data<float>().ToArray();
            })).ToArray();
            var rates = Interleaved.Rates(rounds, batch, slot, variants);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} batch {batch}: default {defaultImages} images per slice, {Spread.Of(rates[0]).Median:N1} img/s"));
            for (int v = 1; v < sizes.Length; v++)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {sizes[v],5} images per slice ({sizes[v] * perImage * sizeof(float) / 1024.0:N0} KiB of input): {Interleaved.Ratio(rates[v], rates[0]).Show()} × the default"));
        }
        Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Trim()}");
    }
}
