using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Jobs;
using Ristretto.Models;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// LeNet inference throughput (images/s) of TorchSharp and of ONNX Runtime running the same network
/// (exported to ONNX), at the same batch size and thread count, measured in one run.
/// </summary>
internal sealed class LeNetEvalBenchmark : IBenchmark
{
    public string Name => "lenet-eval";

    public string Description => "LeNet eval throughput: TorchSharp vs ONNX Runtime on the same trained network";

    public void Run(BenchOptions options)
    {
        var device = DeviceSelector.Resolve(options.Device);
        ModelData model;
        if (File.Exists(DefaultModels.LeNetMnistPath))
        {
            model = ModelFile.Load(DefaultModels.LeNetMnistPath);
            Console.WriteLine($"network: trained default LeNet ({DefaultModels.LeNetMnistPath})");
        }
        else
        {
            using var fresh = LeNet.Build();
            model = ModelStore.Capture(LeNet.ArchitectureName, 10, fresh);
            Console.WriteLine("network: freshly initialised LeNet (run `ristretto quantize` once to train and cache the default)");
        }
        int threads = Environment.ProcessorCount;
        set_num_threads(threads);
        Console.WriteLine($"device {device}, {threads} threads for both engines");
        Console.WriteLine($"{"batch",6} {"TorchSharp img/s",18} {"ONNX Runtime img/s",20} {"ratio TS/ORT",13} {"max |Δ|",10}");

        using var net = ModelStore.Instantiate(model, device);
        net.eval();
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(OnnxExporter.Export(net), sessionOptions);
        int[] batches = options.Quick ? [100] : [1, 100, 1000];
        foreach (int batch in batches)
        {
            var rng = new SplitMix64((ulong)batch);
            var input = new float[batch * 28 * 28];
            for (int i = 0; i < input.Length; i++)
                input[i] = (float)rng.NextDouble();
            int images = options.Quick ? 2_000 : 20_000;
            int reps = Math.Max(1, images / batch);

            using var x = tensor(input, [batch, 1, 28, 28]).to(device);
            float[] torchOut = [];
            double torchRate = Measure(reps, batch, () =>
            {
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                var y = net.forward(x);
                torchOut = y.cpu().data<float>().ToArray();
            });

            var ortInput = new DenseTensor<float>(input, [batch, 1, 28, 28]);
            var feeds = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("data", ortInput) };
            float[] ortOut = [];
            double ortRate = Measure(reps, batch, () =>
            {
                using var results = session.Run(feeds);
                ortOut = results[0].AsEnumerable<float>().ToArray();
            });
            double diff = torchOut.Zip(ortOut).Max(p => Math.Abs(p.First - p.Second));
            int nonFinite = torchOut.Count(v => !float.IsFinite(v));
            if (nonFinite > 0)
                Console.WriteLine($"warning: TorchSharp gave {nonFinite} non-finite outputs at batch {batch} (see docs/architecture.md on oneDNN)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{batch,6} {torchRate,18:N0} {ortRate,20:N0} {torchRate / ortRate,13:F2} {diff,10:G2}"));
        }
        Console.WriteLine("ratio > 1: TorchSharp is faster (target for later work: ≥ 1.0)");
    }

    /// <summary>Median images/s over 5 timed rounds of <paramref name="reps"/> calls, after a warm-up round.</summary>
    private static double Measure(int reps, int batch, Action call)
    {
        for (int i = 0; i < Math.Min(reps, 20); i++)
            call();
        var rates = new List<double>();
        for (int round = 0; round < 5; round++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++)
                call();
            rates.Add(reps * batch / watch.Elapsed.TotalSeconds);
        }
        rates.Sort();
        return rates[rates.Count / 2];
    }
}
