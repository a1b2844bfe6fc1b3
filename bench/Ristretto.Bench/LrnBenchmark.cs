using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Layers;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// The minifloat LRN (every intermediate trimmed, the channel sum walked one channel at a time) against the float
/// LRN on AlexNet's two LRN inputs and CIFAR-10-full's within-channel one, in the same run: the price of simulating
/// LRNRistretto's arithmetic, which a plan pays once per LRN per evaluation.
/// </summary>
internal sealed class LrnBenchmark : IBenchmark
{
    public string Name => "lrn";

    public string Description => "minifloat LRN (LRNRistretto) vs float LRN on AlexNet's norm1/norm2 and CIFAR-10's within-channel inputs (ms, ratio)";

    public void Run(BenchOptions options)
    {
        var device = DeviceSelector.Resolve(options.Device);
        int reps = options.Quick ? 2 : 10;
        long batch = options.Quick ? 4 : 16;
        Console.WriteLine($"device {device}, batch {batch}, best of {reps}, minifloat exp 5 mant 2 (8-bit), nearest");
        Console.WriteLine($"{"layer",-28} {"input",-18} {"float ms",9} {"minifloat ms",13} {"ratio",7}");
        (string Name, LrnLayer Layer, long[] Shape)[] cases =
        [
            ("AlexNet norm1 (across 5)", new LrnLayer("norm1", 5, 1e-4, 0.75), [batch, 96, 55, 55]),
            ("AlexNet norm2 (across 5)", new LrnLayer("norm2", 5, 1e-4, 0.75), [batch, 256, 27, 27]),
            ("CIFAR-10 norm1 (within 3)", new LrnLayer("norm1", 3, 5e-5, 0.75, 1, withinChannel: true), [batch * 4, 32, 16, 16]),
        ];
        var format = new MiniFloat(5, 2);
        using var noGrad = no_grad();
        foreach (var (name, layer, shape) in cases)
        {
            using var scope = NewDisposeScope();
            manual_seed(1);
            var x = rand(shape, device: device).Times(20.0);
            using var quantized = new QuantizedLrnLayer(layer, new LayerQuantization(Input: format, Output: format));
            double plain = BestTime.Of(reps, () => layer.forward([x])[0], device);
            double trimmed = BestTime.Of(reps, () => quantized.forward([x])[0], device);
            Console.WriteLine($"{name,-28} {string.Join('x', shape),-18} {plain * 1e3,9:F1} {trimmed * 1e3,13:F1} {trimmed / plain,6:F1}x");
            layer.Dispose();
        }
    }
}
