using System.Diagnostics;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Evaluation;

/// <summary>
/// Coarse speed-regression guards CI can afford (a few seconds): ratios of two passes timed in interleaved rounds,
/// so that a busy machine slows both alike; the bars are far below what the bench measures, to catch a lost fused
/// kernel or an accidental copy per layer, not a few percent.
/// </summary>
[Collection("speed-guards")]
public class SpeedGuardTests
{
    [Fact]
    public void Should_Evaluate_A_Dfp_Quantized_LeNet_At_Least_Half_As_Fast_As_The_Float_One()
    {
        TorchRuntime.Initialize();
        using var net = LeNet.Build(seed: 5);
        net.eval();
        var plan = new QuantizationPlan(net.Nodes.Where(n => n.Layer is IWeightedLayer).ToDictionary(n => n.Layer.LayerName, _ =>
        {
            var f = new DynamicFixedPoint(8, 4);
            return new LayerQuantization(f, f, f, f);
        }), "DFP 8");
        using var quantized = new QuantizedNetwork(net, plan);
        quantized.eval();
        using var x = rand([100, 1, 28, 28], generator: new Generator(3));
        using var prepared = EvaluationNetwork.Prepare(net);

        double ratio = MedianRatio(() => Pass(quantized, x), () => Pass(prepared.Network, x));

        Assert.True(ratio >= 0.5, $"quantized/float throughput {ratio:F2} < 0.5 (bench quantized-eval: 0.7 on LeNet at batch 100 with oneDNN, session 6)");
    }

    [Fact]
    public void Should_Evaluate_LeNet_Faster_Under_Inference_Mode_Than_With_Gradients()
    {
        TorchRuntime.Initialize();
        using var net = LeNet.Build(seed: 6);
        net.eval();
        using var x = rand([100, 1, 28, 28], generator: new Generator(4));
        using var prepared = EvaluationNetwork.Prepare(net);

        double ratio = MedianRatio(() => Pass(prepared.Network, x), () =>
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            _ = net.forward(x).sum().item<float>();
        });

        Assert.True(ratio >= 0.7, $"evaluation/with-gradients throughput {ratio:F2} < 0.7: evaluation lost its inference mode or gained a copy");
    }

    private static void Pass(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        _ = model.forward(x).sum().item<float>();
    }

    /// <summary>Median over 7 rounds of (rate of <paramref name="a"/>) / (rate of <paramref name="b"/>), 10 calls a slot.</summary>
    private static double MedianRatio(Action a, Action b)
    {
        for (int i = 0; i < 3; i++)
        {
            a();
            b();
        }
        var ratios = new List<double>();
        for (int round = 0; round < 7; round++)
        {
            double ta = Time(a), tb = Time(b);
            ratios.Add(tb / ta);
        }
        ratios.Sort();
        return ratios[ratios.Count / 2];
    }

    private static double Time(Action call)
    {
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 10; i++)
            call();
        return watch.Elapsed.TotalSeconds;
    }
}

[CollectionDefinition("speed-guards", DisableParallelization = true)]
public class SpeedGuardCollection;
