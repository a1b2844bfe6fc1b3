using Ristretto.Jobs;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Models;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// Float evaluation throughput (images/s) of our TorchSharp evaluation path against ONNX Runtime running the same
/// network exported with our exporter, same batch, same intra-op thread count: the trained LeNet (batch 1, 64,
/// 1000), SqueezeNet 1.1 and ResNet-18 with random weights (batch 1, 32). Each ratio is the median, with min and
/// max, of per-round ratios over interleaved rounds. With <c>--tries</c> the older path (no-grad, network as built,
/// no in-place ReLU, ATen's kernels) and our path less one change each (the last: oneDNN off, i.e. ATen's
/// convolutions) are timed in the same rounds too (ours over each).
/// </summary>
internal sealed class EvalVsOrtBenchmark : IBenchmark
{
    public string Name => "eval-vs-ort";

    public string Description => "float eval img/s, our TorchSharp path vs ONNX Runtime: LeNet b1/64/1000, SqueezeNet 1.1 and ResNet-18 b1/32 (target ≥ 1.0)";

    public void Run(BenchOptions options)
    {
        var device = DeviceSelector.Resolve(options.Device);
        int threads = get_num_threads();
        int rounds = options.Quick ? 5 : 7;
        double slot = options.Quick ? 0.15 : 0.4;
        Console.WriteLine($"device {device}; {threads} intra-op threads for both engines; oneDNN {Engine.OneDnn.Use}; {rounds} interleaved rounds of ≈{slot} s per variant");
        Console.WriteLine($"{"network",-14} {"batch",5} {"ours img/s",12} {"ORT img/s",12} {"ours/ORT median [min–max]",28} {"max |Δ|",9}{(options.Tries ? "   ours over: old path (no-grad, unfolded, no in-place ReLU) | no in-place ReLU | unfolded | no-grad instead of inference mode | oneDNN off" : "")}");
        foreach (var (name, batches) in Cases(options.Quick))
        {
            using var net = Load(name, device);
            foreach (int batch in batches)
                Measure(name, net, batch, threads, rounds, slot, options.Tries, device);
        }
        Console.WriteLine("ratio > 1: ours is faster. Bars: LeNet b64 and b1000, ResNet-18 b32 ≥ 1.0");
    }

    private static IEnumerable<(string Name, int[] Batches)> Cases(bool quick) => quick
        ? [("lenet", [64, 1000]), ("resnet18", [1])]
        : [("lenet", [1, 64, 1000]), ("squeezenet1.1", [1, 32]), ("resnet18", [1, 32])];

    /// <summary>ONNX Runtime's session over <paramref name="net"/> as our exporter writes it: all graph optimisations, <paramref name="threads"/> intra-op threads.</summary>
    internal static InferenceSession OrtSession(Network net, int threads)
    {
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        return new InferenceSession(OnnxExporter.Export(net), sessionOptions);
    }

    /// <summary>The one input of <paramref name="session"/>: <paramref name="input"/> in <paramref name="shape"/>.</summary>
    internal static List<NamedOnnxValue> OrtFeeds(InferenceSession session, float[] input, long[] shape) =>
        [NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.First(), new DenseTensor<float>(input, shape.Select(d => (int)d).ToArray()))];

    internal static Network Load(string name, Device device)
    {
        if (name == LeNet.ArchitectureName && File.Exists(DefaultModels.LeNetMnistPath))
            return (Network)ModelStore.Load(DefaultModels.LeNetMnistPath, device).Model;
        var net = ModelZoo.Create(name, seed: 7);
        net.to(device);
        return net;
    }

    /// <summary>
    /// The input batch of the evaluation benches: uniform [0, 1) values seeded by the batch size and the network's name, so
    /// every variant and engine sees the same images. Returns the values and the batch shape.
    /// </summary>
    internal static (float[] Values, long[] Shape) RandomBatch(Network net, int batch, string name)
    {
        var sample = net.Inputs[0].Shape.Skip(1).ToArray();
        long perImage = sample.Aggregate(1L, (a, b) => a * b);
        var rng = new SplitMix64((ulong)batch * 31 + (ulong)name.Length);
        var input = new float[batch * perImage];
        for (int i = 0; i < input.Length; i++)
            input[i] = (float)rng.NextDouble();
        return (input, [batch, .. sample]);
    }

    private static void Measure(string name, Network net, int batch, int threads, int rounds, double slot, bool tries, Device device)
    {
        net.eval();
        var (input, shape) = RandomBatch(net, batch, name);

        using var session = OrtSession(net, threads);
        var feeds = OrtFeeds(session, input, shape);

        using var x = tensor(input, shape).to(device);
        using var prepared = EvaluationNetwork.Prepare(net);
        float[] ours = [], ort = [];
        void Ours()
        {
            using var scope = NewDisposeScope();
            var y = prepared.Forward(x);
            ours = y.cpu().data<float>().ToArray();
        }
        void Ort()
        {
            using var results = session.Run(feeds);
            ort = results[0].AsEnumerable<float>().ToArray();
        }
        void Old()
        {
            Network.InPlaceRelu = false;
            using (no_grad())
            using (NewDisposeScope())
                _ = net.forward(x).cpu().data<float>().ToArray();
            Network.InPlaceRelu = true;
        }
        void NoInPlace()
        {
            Network.InPlaceRelu = false;
            Ours();
            Network.InPlaceRelu = true;
        }
        void NoFold()
        {
            using (inference_mode())
            using (Engine.OneDnn.Evaluation())
            using (NewDisposeScope())
                _ = net.forward(x).cpu().data<float>().ToArray();
        }
        void OneDnnOff()
        {
            // An outer evaluation scope, with libtorch's switch then turned off: Forward's own scope is nested, so it changes nothing.
            using var outer = Engine.OneDnn.Evaluation();
            bool was = LibTorchContext.Mkldnn == true;
            LibTorchContext.TrySetMkldnn(false);
            using (NewDisposeScope())
                _ = prepared.Forward(x).cpu().data<float>().ToArray();
            LibTorchContext.TrySetMkldnn(was);
        }
        void NoGrad()
        {
            using (no_grad())
            using (Engine.OneDnn.Evaluation())
            using (NewDisposeScope())
                _ = prepared.Network.forward(x).cpu().data<float>().ToArray();
        }
        Action[] variants = tries ? [Ours, Ort, Old, NoInPlace, NoFold, NoGrad, OneDnnOff] : [Ours, Ort];
        var rates = Interleaved.Rates(rounds, batch, slot, variants);
        double diff = ours.Zip(ort).Max(p => Math.Abs(p.First - p.Second));
        if (ours.Any(v => !float.IsFinite(v)))
            Console.WriteLine($"warning: {name} batch {batch}: non-finite outputs from our path");
        string extra = tries ? "   " + string.Join("  ", Enumerable.Range(2, 5).Select(v => Interleaved.Ratio(rates[0], rates[v]).Show())) : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-14} {batch,5} {Spread.Of(rates[0]).Median,12:N1} {Spread.Of(rates[1]).Median,12:N1} {Interleaved.Ratio(rates[0], rates[1]).Show(),28} {diff,9:G2}{extra}"));
    }
}
