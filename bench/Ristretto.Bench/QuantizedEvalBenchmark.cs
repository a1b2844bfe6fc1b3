using Ristretto.Jobs;
using System.Globalization;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// Simulated-quantized evaluation throughput against our fastest float pass over the same (BN-folded) network
/// (<see cref="EvaluationNetwork.Forward"/>; both run the batch in the same slices, <see cref="SlicedRun.DefaultSliceBytes"/>), measured in interleaved rounds: DFP 8/8/8, minifloat e4m3, int8 per-channel weights, power-of-two weights with 8-bit DFP
/// activations. Every weighted layer is quantized (no float prefix to reuse); ranges come from one batch of the
/// benchmark's own random input. LeNet (batch 100) and ResNet-18 with random weights (batch 32).
/// </summary>
internal sealed class QuantizedEvalBenchmark : IBenchmark
{
    public string Name => "quantized-eval";

    public string Description => "quantized/float eval throughput: DFP 8/8/8, minifloat e4m3, int8 per-channel, pow2 on LeNet b100 and ResNet-18 b32 (target ≥ 0.95)";

    public void Run(BenchOptions options)
    {
        var device = DeviceSelector.Resolve(options.Device);
        int rounds = options.Quick ? 5 : 7;
        double slot = options.Quick ? 0.15 : 0.4;
        Console.WriteLine($"device {device}; {get_num_threads()} intra-op threads; {rounds} interleaved rounds of ≈{slot} s per variant; ratio = quantized img/s ÷ float img/s");
        Console.WriteLine($"{"network",-10} {"batch",5} {"float img/s",12} {"plan",-18} {"img/s",10} {"quantized/float median [min–max]",34}");
        var cases = options.Quick ? new[] { ("lenet", 100), ("resnet18", 8) } : [("lenet", 100), ("resnet18", 32)];
        foreach (var (name, batch) in cases)
        {
            using var source = Load(name, device);
            using var prepared = EvaluationNetwork.Prepare(source);
            Measure(name, prepared, batch, rounds, slot, device);
        }
        Console.WriteLine("Bar: DFP and int8 per-channel on ResNet-18 ≥ 0.95");
    }

    internal static Network Load(string name, Device device)
    {
        if (name == LeNet.ArchitectureName && File.Exists(DefaultModels.LeNetMnistPath))
            return (Network)ModelStore.Load(DefaultModels.LeNetMnistPath, device).Model;
        var net = ModelZoo.Create(name, seed: 7);
        net.to(device);
        return net;
    }

    private static void Measure(string name, EvaluationNetwork prepared, int batch, int rounds, double slot, Device device)
    {
        var net = prepared.Network;
        net.eval();
        long[] shape = [batch, .. net.Inputs[0].Shape.Skip(1)];
        using var x = rand(shape, generator: new Generator(11)).to(device);
        var ranges = Ranges(net, x);
        var plans = Plans(net, ranges);
        var models = plans.Select(p => new QuantizedNetwork(net, p.Plan)).ToList();
        try
        {
            foreach (var m in models)
                m.eval();
            Action Pass(nn.Module<Tensor, Tensor> model) => () =>
            {
                using var mode = inference_mode();
                using var onednn = OneDnn.Evaluation(); // the kernels the evaluator's passes use, as the float side's
                using var scope = NewDisposeScope();
                _ = model.forward(x).sum().item<float>();
            };
            // The float side is our fastest float pass: EvaluationNetwork.Forward, in slices as the quantized pass runs.
            var variants = new List<Action> { () =>
            {
                using var scope = NewDisposeScope();
                _ = prepared.Forward(x).sum().item<float>();
            } };
            variants.AddRange(models.Select(Pass));
            var rates = Interleaved.Rates(rounds, batch, slot, [.. variants]);
            for (int p = 0; p < plans.Count; p++)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{(p == 0 ? name : ""),-10} {(p == 0 ? batch.ToString(CultureInfo.InvariantCulture) : ""),5} {(p == 0 ? Spread.Of(rates[0]).Median.ToString("N1", CultureInfo.InvariantCulture) : ""),12} {plans[p].Name,-18} {Spread.Of(rates[p + 1]).Median,10:N1} {Interleaved.Ratio(rates[p + 1], rates[0]).Show(),34}"));
        }
        finally
        {
            foreach (var m in models)
                m.Dispose();
        }
    }

    /// <summary>The four plans, every weighted layer quantized.</summary>
    internal static List<(string Name, QuantizationPlan Plan)> Plans(Network net, IReadOnlyDictionary<string, LayerRange> ranges)
    {
        var weighted = net.Nodes.Where(n => n.Layer is IWeightedLayer).Select(n => n.Layer.LayerName).ToList();
        QuantizationPlan Make(string what, Func<string, LayerRange, LayerQuantization> spec) =>
            new(weighted.ToDictionary(l => l, l => spec(l, ranges[l]), StringComparer.Ordinal), what);
        var e4m3 = new MiniFloat(4, 3);
        var pow2 = new PowerOfTwo(-8, -1);
        var int8 = new IntegerScheme(PerChannelWeights: true).Formats(net);
        return
        [
            ("DFP 8/8/8", Make("dfp", (l, r) => RistrettoDfpSearch.DynamicFixedPointFormats(l, r, 8, 8))),
            ("minifloat e4m3", Make("e4m3", (_, _) => new LayerQuantization(e4m3, e4m3, e4m3, e4m3))),
            ("int8 per-channel", Make("int8", (l, r) => int8(l, r, 8, 8))),
            ("pow2 + DFP8", Make("pow2", (_, r) => new LayerQuantization(pow2,
                DynamicFixedPoint.FromMaxAbs(8, r.Bias, isWeights: true),
                DynamicFixedPoint.FromMaxAbs(8, r.Input, isWeights: false),
                DynamicFixedPoint.FromMaxAbs(8, r.Output, isWeights: false)))),
        ];
    }

    /// <summary>Ranges of every weighted layer from one pass over <paramref name="x"/>.</summary>
    internal static Dictionary<string, LayerRange> Ranges(Network net, Tensor x)
    {
        var blobs = new Dictionary<string, (double Max, double Min)>(StringComparer.Ordinal);
        using (no_grad())
        using (NewDisposeScope())
        {
            blobs[net.Inputs[0].Name] = (x.abs().max().item<float>(), x.min().item<float>());
            net.Run(new Dictionary<string, Tensor> { [net.Inputs[0].Name] = x },
                (blob, _, t) => blobs[blob] = (t.abs().max().item<float>(), t.min().item<float>()));
        }
        var ranges = new Dictionary<string, LayerRange>(StringComparer.Ordinal);
        foreach (var node in net.Nodes.Where(n => n.Layer is IWeightedLayer))
        {
            var w = (IWeightedLayer)node.Layer;
            using var scope = NewDisposeScope();
            double wMax = w.Weight.detach().abs().max().item<float>();
            double bMax = w.Bias is { } b ? b.detach().abs().max().item<float>() : 0;
            var (inMax, inMin) = blobs[node.Inputs[0]];
            var (outMax, outMin) = blobs[node.Outputs[0]];
            ranges[node.Layer.LayerName] = new LayerRange(inMax, outMax, wMax, bMax) { InputMin = inMin, OutputMin = outMin };
        }
        return ranges;
    }
}
