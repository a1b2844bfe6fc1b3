using Ristretto.Data;
using Ristretto.Deploy;
using Ristretto.Graph;
using Ristretto.Jobs;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ristretto.Tests.Deploy;

/// <summary>
/// The issue's evidence: the default LeNet trained on MNIST, on the 10,000 test images, under DFP 4/4/8, int8 per-channel
/// weights with asymmetric activations (power-of-two and float scales) and power-of-two weights: the integer engine's
/// outputs equal the exact simulation's everywhere, and the float32 simulation's for the power-of-two steps. Minutes of
/// CPU: runs with RISTRETTO_LONG_TESTS=1 when MNIST and the trained LeNet are cached.
/// </summary>
public sealed class MnistEqualityTests(ITestOutputHelper output)
{
    [MnistLongFact]
    public void Should_Give_No_Differing_Output_On_The_Mnist_Test_Set()
    {
        using var net = (Network)ModelStore.Load(DefaultModels.LeNetMnistPath, CPU).Model;
        net.eval();
        using var mnist = new TensorImageSet(new DatasetFiles(MnistCachedFactAttribute.Folder).LoadTest(), CPU);
        var ranges = Calibration.Measure(net, mnist, 10, 64);
        foreach (string kind in (string[])["dfp 4/4/8", "int8 pow2 per-channel asymmetric", "int8 float per-channel asymmetric", "pow2 weights dfp8"])
        {
            var plan = EnginePlans.Make(kind, net, ranges);
            using var engine = new IntegerEngine(net, plan);
            using var simulated = new QuantizedNetwork(net, plan);
            using var exact = QuantizedNetwork.Exact(net, plan);
            simulated.eval();
            exact.eval();
            long vsExact = 0, vsSimulated = 0, imagesVsSimulated = 0, hitsEngine = 0, hitsSimulated = 0;
            for (int start = 0; start < mnist.Count; start += 1000)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var (x, y) = mnist.Slice(start, Math.Min(1000, mnist.Count - start));
                var a = engine.Forward(x);
                var s = simulated.forward(x);
                var e = exact.forward(x);
                vsExact += EnginePlans.Differences(a, e).Values;
                var (values, images) = EnginePlans.Differences(a, s);
                vsSimulated += values;
                imagesVsSimulated += images;
                hitsEngine += a.argmax(1).eq(y).sum().item<long>();
                hitsSimulated += s.argmax(1).eq(y).sum().item<long>();
            }
            output.WriteLine($"{kind}: engine vs exact simulation {vsExact} differing outputs; vs float32 simulation {vsSimulated} outputs in {imagesVsSimulated} images; " +
                             $"top-1 engine {hitsEngine / (double)mnist.Count:P2}, simulation {hitsSimulated / (double)mnist.Count:P2}; {string.Join("; ", engine.Arithmetic.Select(l => l.Describe()))}");
            Assert.Equal(0, vsExact);
            if (!kind.Contains("float", StringComparison.Ordinal))
                Assert.Equal(0, vsSimulated);
        }
    }
}

/// <summary>A long fact (<see cref="LongFactAttribute"/>) that also needs MNIST and the default LeNet cached.</summary>
public sealed class MnistLongFactAttribute : FactAttribute
{
    public MnistLongFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(LongFactAttribute.Variable) != "1")
            Skip = $"a long test (minutes of CPU); set {LongFactAttribute.Variable}=1";
        else if (!MnistFetcher.IsComplete(MnistCachedFactAttribute.Folder, out string? problem))
            Skip = $"no complete MNIST cache ({problem ?? "no such folder"})";
        else if (!File.Exists(DefaultModels.LeNetMnistPath))
            Skip = $"no trained LeNet at {DefaultModels.LeNetMnistPath} (ristretto test --model lenet trains and caches it)";
    }
}
