using Ristretto.Jobs;
using System.Diagnostics;
using System.Globalization;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// Peak resident memory (VmHWM) of two workloads, each in a fresh child process so that nothing else counts: the
/// default DFP search on LeNet/MNIST (10,000 test images, calibration included) and three ResNet-18 evaluation
/// passes at batch 32 (random weights, BN folded, inference mode).
/// </summary>
internal sealed class PeakMemoryBenchmark : IBenchmark
{
    /// <summary>The first argument that makes the bench run one workload as a child.</summary>
    public const string ChildFlag = "--peak-memory-child";

    public string Name => "peak-memory";

    public string Description => "peak resident memory of a LeNet DFP search and of ResNet-18 evaluation at batch 32 (child processes)";

    public void Run(BenchOptions options)
    {
        foreach (var workload in new[] { "lenet-search", "resnet18-eval-b32" })
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (!Environment.ProcessPath!.EndsWith("Ristretto.Bench", StringComparison.Ordinal))
                start.ArgumentList.Add(typeof(PeakMemoryBenchmark).Assembly.Location);
            start.ArgumentList.Add(ChildFlag);
            start.ArgumentList.Add(workload);
            start.ArgumentList.Add(options.Device);
            using var child = Process.Start(start)!;
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            string line = output.Split('\n').LastOrDefault(l => l.StartsWith("peak", StringComparison.Ordinal)) ?? $"failed (exit {child.ExitCode})";
            Console.WriteLine($"{workload,-20} {line}");
        }
    }

    /// <summary>Runs <paramref name="workload"/> and prints its peak resident memory.</summary>
    public static int RunChild(string workload, string deviceName)
    {
        var device = DeviceSelector.Resolve(deviceName);
        var watch = Stopwatch.StartNew();
        if (workload == "lenet-search")
        {
            string path = DefaultModels.EnsureLeNetMnist(device);
            using var network = (Network)ModelStore.Load(path, device).Model;
            var files = DatasetFiles.Resolve("mnist");
            using var train = new TensorImageSet(files.LoadTrain(), device);
            using var test = new TensorImageSet(files.LoadTest(), device);
            var ranges = Calibration.Measure(network, train, 10, 64);
            new RistrettoDfpSearch(network, ranges, test, 100, 100).Run(1);
        }
        else
        {
            using var net = ModelZoo.Create(ResNet18.ArchitectureName, seed: 7);
            using var prepared = EvaluationNetwork.Prepare(net);
            using var x = rand([32, 3, 224, 224]);
            for (int i = 0; i < 3; i++)
            {
                using var scope = NewDisposeScope();
                prepared.Forward(x);
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak resident {PeakMiB():N0} MiB ({watch.Elapsed.TotalSeconds:F1} s)"));
        return 0;
    }

    private static double PeakMiB()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }
}
