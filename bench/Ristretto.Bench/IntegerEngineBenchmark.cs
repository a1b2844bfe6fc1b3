using System.Globalization;
using Ristretto.Deploy;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// The integer-only engine against our float simulation of the same plan on LeNet (the cached MNIST model when there
/// is one, else random weights), batch 100, in interleaved rounds: DFP 8/8/8, int8 per-channel (float scales) and
/// power-of-two weights with 8-bit DFP activations; the simulation's exact (float64) mode is timed beside them.
/// </summary>
internal sealed class IntegerEngineBenchmark : IBenchmark
{
    public string Name => "integer-engine";

    public string Description => "integer engine vs float simulation (and its exact mode) on LeNet b100: img/s and engine/simulation ratio";

    public void Run(BenchOptions options)
    {
        var device = DeviceSelector.Resolve(options.Device);
        int rounds = options.Quick ? 5 : 7;
        double slot = options.Quick ? 0.2 : 0.5;
        const int batch = 100;
        using var source = QuantizedEvalBenchmark.Load("lenet", device);
        using var prepared = EvaluationNetwork.Prepare(source);
        var net = prepared.Network;
        net.eval();
        using var x = rand([batch, .. net.Inputs[0].Shape.Skip(1)], generator: new Generator(11)).to(device);
        var ranges = QuantizedEvalBenchmark.Ranges(net, x);
        var plans = QuantizedEvalBenchmark.Plans(net, ranges).Where(p => !p.Name.StartsWith("minifloat", StringComparison.Ordinal)).ToList();
        Console.WriteLine($"device {device}; {get_num_threads()} intra-op threads; {rounds} interleaved rounds of ≈{slot} s per variant; ratio = engine img/s ÷ simulation img/s (per round)");
        Console.WriteLine($"{"plan",-18} {"simulate img/s",15} {"exact img/s",12} {"engine img/s",13} {"engine/simulate median [min–max]",34} {"engine/exact",22}");
        foreach (var (name, plan) in plans)
        {
            using var simulated = new QuantizedNetwork(net, plan);
            using var exact = QuantizedNetwork.Exact(net, plan);
            using var engine = new IntegerEngine(net, plan);
            simulated.eval();
            exact.eval();
            Action Pass(nn.Module<Tensor, Tensor> model) => () =>
            {
                using var mode = inference_mode();
                using var scope = NewDisposeScope();
                _ = model.forward(x).sum().item<float>();
            };
            var rates = Interleaved.Rates(rounds, batch, slot, Pass(simulated), Pass(exact), Pass(engine));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-18} {Spread.Of(rates[0]).Median,15:N0} {Spread.Of(rates[1]).Median,12:N0} {Spread.Of(rates[2]).Median,13:N0} {Interleaved.Ratio(rates[2], rates[0]).Show(),34} {Interleaved.Ratio(rates[2], rates[1]).Show(),22}"));
        }
    }
}
