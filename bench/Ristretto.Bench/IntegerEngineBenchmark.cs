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
        if (options.Tries)
            HotOps(rounds, slot);
    }

    /// <summary>
    /// The engine's hot operations on LeNet's shapes (batch 100), each against the alternative that was tried, in the same
    /// interleaved rounds: the multiply-accumulate (libtorch float32 kernels on integer codes, kept, vs int32 C# SIMD) and
    /// the requantization (64-bit SIMD lanes, kept, vs the scalar 128-bit loop, the reference).
    /// </summary>
    private static void HotOps(int rounds, double slot)
    {
        Console.WriteLine();
        Console.WriteLine("hot operations, LeNet shapes, batch 100 (ratio = kept ÷ tried, per round; >1: the kept one is faster)");
        Console.WriteLine($"{"operation",-44} {"kept /s",9} {"tried /s",9} {"kept/tried median [min–max]",30}");
        using var gen = new Generator(5);
        using var scope = NewDisposeScope();
        // Codes: activations 0..255 minus a zero point of 128 (int8 offsets), weights −127..127.
        var conv1In = randint(-128, 128, [100, 1, 28, 28], generator: gen);
        var conv1W = randint(-127, 128, [20, 1, 5, 5], generator: gen);
        var conv2In = randint(-128, 128, [100, 20, 12, 12], generator: gen);
        var conv2W = randint(-127, 128, [50, 20, 5, 5], generator: gen);
        var ip1In = randint(-128, 128, [100, 800], generator: gen);
        var ip1W = randint(-127, 128, [500, 800], generator: gen);
        foreach (var (name, x, w) in new[] { ("conv1 MAC [100,1,28,28]*[20,1,5,5]", conv1In, conv1W), ("conv2 MAC [100,20,12,12]*[50,20,5,5]", conv2In, conv2W), ("ip1 MAC [100,800]x[500,800]", ip1In, ip1W) })
        {
            bool conv = x.dim() == 4;
            var xf = x.to(ScalarType.Float32);
            var wf = w.to(ScalarType.Float32);
            var xi = x.to(ScalarType.Int32).contiguous();
            var wi = w.to(ScalarType.Int32).reshape(w.shape[0], -1).contiguous();
            using (var a = conv ? nn.functional.conv2d(xf, wf) : nn.functional.linear(xf, wf))
            using (var b = conv ? Int32Kernels.Conv(xi, wi, w.shape[2], w.shape[3]) : Int32Kernels.Linear(xi, wi))
                if (a.ne(b.to(ScalarType.Float32)).any().item<bool>())
                    throw new InvalidOperationException($"{name}: the int32 SIMD sums differ from the float32 kernel's");
            var rates = Interleaved.Rates(rounds, 1, slot,
                () => { using var y = conv ? nn.functional.conv2d(xf, wf) : nn.functional.linear(xf, wf); },
                () => { using var y = conv ? Int32Kernels.Conv(xi, wi, w.shape[2], w.shape[3]) : Int32Kernels.Linear(xi, wi); });
            Row(name, rates);
        }
        // Requantization of conv1-sized accumulators (±2^20): DFP (a shift) and float per-channel scales (62-bit multipliers, settled).
        var acc = randint(-(1L << 20), 1L << 20, [100, 20, 24, 24], generator: gen).to(ScalarType.Float32);
        foreach (var (name, requantizer) in new[] { ("requantize [100,20,24,24], DFP shift", Shift(20)), ("requantize [100,20,24,24], float scales", FloatScales(20)) })
        {
            using (var a = requantizer.Apply(acc))
            using (var b = requantizer.ApplyReference(acc))
                if (a.ne(b).any().item<bool>())
                    throw new InvalidOperationException($"{name}: the SIMD lanes differ from the 128-bit reference");
            var rates = Interleaved.Rates(rounds, 1, slot,
                () => { using var y = requantizer.Apply(acc); },
                () => { using var y = requantizer.ApplyReference(acc); });
            Row(name, rates);
        }
    }

    private static void Row(string name, double[][] rates) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-44} {Spread.Of(rates[0]).Median,9:N1} {Spread.Of(rates[1]).Median,9:N1} {Interleaved.Ratio(rates[0], rates[1]).Show(),30}"));

    /// <summary>A DFP rescale: acc · 2^−9 onto int8, a bias on the product's grid.</summary>
    private static Requantizer Shift(int channels)
    {
        var m = FixedPointMultiplier.Of(1, 512, IntegerEngine.DefaultMultiplierBits);
        var rationals = Enumerable.Range(0, channels).Select(c => new Rational(1, 512, c - 10, 4, false)).ToArray();
        var offsets = rationals.Select(r => m.OffsetOf(r.BiasNumerator, r.BiasDenominator).Offset).ToArray();
        return new Requantizer(Enumerable.Repeat(m, channels).ToArray(), offsets, 0, -128, 127, rationals, 22);
    }

    /// <summary>Per-channel float scales: M_c = s_in·s_w,c / s_out with float32 scales, a float bias, onto uint8 with zero point 3.</summary>
    private static Requantizer FloatScales(int channels)
    {
        var multipliers = new FixedPointMultiplier[channels];
        var offsets = new Int128[channels];
        var rationals = new Rational[channels];
        for (int c = 0; c < channels; c++)
        {
            var (num, den) = FixedPointMultiplier.Rational(0.0123f * (0.9f + 0.01f * c) * 0.00071f / 0.031f);
            var (bNum, bDen) = FixedPointMultiplier.Rational(0.37f * (c - 9.5f));
            multipliers[c] = FixedPointMultiplier.Of(num, den, IntegerEngine.DefaultMultiplierBits);
            var (offset, exact) = multipliers[c].OffsetOf(bNum, bDen);
            offsets[c] = offset;
            rationals[c] = new Rational(num, den, bNum, bDen, !exact);
        }
        return new Requantizer(multipliers, offsets, 3, 0, 255, rationals, 22);
    }
}
