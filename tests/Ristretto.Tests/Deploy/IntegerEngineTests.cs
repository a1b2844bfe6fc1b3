using Ristretto.Deploy;
using Ristretto.Formats;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ristretto.Tests.Deploy;

/// <summary>
/// What is simulated is what an integer datapath computes: on a trained LeNet, the integer engine's outputs equal the
/// simulation's bit for bit for every plan with power-of-two steps, and the simulation's exact mode's for every plan
/// kind (float and fixed-point scales, accumulators beyond 2^24 and beyond int32 included); a plan it cannot run is
/// one error naming the layer.
/// </summary>
public sealed class IntegerEngineTests(ITestOutputHelper output)
{
    public static TheoryData<string> PowerOfTwoSteps => [.. EnginePlans.PowerOfTwoSteps];

    public static TheoryData<string> NonPowerOfTwoScales => [.. EnginePlans.NonPowerOfTwoScales];

    [Theory]
    [MemberData(nameof(PowerOfTwoSteps))]
    public void Should_Equal_The_Simulation_And_Its_Exact_Mode_Bit_For_Bit(string kind)
    {
        using var lenet = new TrainedLeNet(testImages: 200);
        var plan = EnginePlans.Make(kind, lenet.Net, Calibration.Measure(lenet.Net, lenet.Train, 4, 64));
        var (images, _) = lenet.Test.Slice(0, lenet.Test.Count);
        using (images)
        using (var engine = new IntegerEngine(lenet.Net, plan))
        using (var int32Multipliers = new IntegerEngine(lenet.Net, plan, multiplierBits: 31))
        {
            var (simulated, exact) = Simulate(lenet.Net, plan, images);
            using var actual = engine.Forward(images);
            using var q31 = int32Multipliers.Forward(images);
            Assert.Equal((0L, 0L), EnginePlans.Differences(simulated, actual));
            Assert.Equal((0L, 0L), EnginePlans.Differences(exact, actual));
            Assert.Equal((0L, 0L), EnginePlans.Differences(q31, actual)); // every multiplier is a power of two: 31 bits hold it
            Assert.All(engine.Arithmetic, a => Assert.True(a.ShiftOnly && a.ExactRequantization, a.Describe()));
            Assert.InRange(engine.MaxAccumulatorMagnitude, 1, int.MaxValue);
            simulated.Dispose();
            exact.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(NonPowerOfTwoScales))]
    public void Should_Equal_The_Exact_Simulation_With_Float_And_Fixed_Point_Scales(string kind)
    {
        using var lenet = new TrainedLeNet(testImages: 200);
        var plan = EnginePlans.Make(kind, lenet.Net, Calibration.Measure(lenet.Net, lenet.Train, 4, 64));
        var (images, _) = lenet.Test.Slice(0, lenet.Test.Count);
        using (images)
        using (var engine = new IntegerEngine(lenet.Net, plan))
        using (var int32Multipliers = new IntegerEngine(lenet.Net, plan, multiplierBits: 31))
        {
            var (simulated, exact) = Simulate(lenet.Net, plan, images);
            using var actual = engine.Forward(images);
            using var q31 = int32Multipliers.Forward(images);
            Assert.Equal((0L, 0L), EnginePlans.Differences(exact, actual));
            Assert.Contains(engine.Arithmetic, a => !a.ShiftOnly);
            var (values, imagesDiffering) = EnginePlans.Differences(simulated, actual);
            var (q31Values, q31Images) = EnginePlans.Differences(exact, q31);
            output.WriteLine($"{kind}: float32 simulation vs engine {values} outputs in {imagesDiffering} of {lenet.Test.Count} images; " +
                             $"31-bit multipliers vs exact {q31Values} outputs in {q31Images} images");
            simulated.Dispose();
            exact.Dispose();
        }
    }

    [Fact]
    public void Should_Say_Which_Layers_Can_Overflow_Int32_And_Still_Equal_The_Exact_Simulation()
    {
        using var lenet = new TrainedLeNet(testImages: 100);
        var plan = EnginePlans.Make("dfp 16/16/16", lenet.Net, Calibration.Measure(lenet.Net, lenet.Train, 4, 64));
        using var engine = new IntegerEngine(lenet.Net, plan);
        foreach (var a in engine.Arithmetic)
            output.WriteLine(a.Describe());
        // conv2 sums 500 products of 16-bit codes: 2^9 · 2^16 · 2^15 needs more than 32 bits.
        Assert.True(engine.Arithmetic.Single(a => a.Layer == "conv2").NeedsInt64);
        Assert.Contains("int64", engine.Arithmetic.Single(a => a.Layer == "conv2").Describe(), StringComparison.Ordinal);
        var (images, _) = lenet.Test.Slice(0, lenet.Test.Count);
        using (images)
        {
            var (simulated, exact) = Simulate(lenet.Net, plan, images);
            using var actual = engine.Forward(images);
            Assert.Equal((0L, 0L), EnginePlans.Differences(exact, actual));
            output.WriteLine($"float32 simulation vs engine: {EnginePlans.Differences(simulated, actual)} (outputs, images); largest accumulator {engine.MaxAccumulatorMagnitude:E3}");
            simulated.Dispose();
            exact.Dispose();
        }
    }

    [Theory]
    [InlineData(SqueezeNet.V11Name, "dfp 8/8/8")]
    [InlineData(SqueezeNet.V11Name, "int8 float per-channel asymmetric")]
    [InlineData(ResNet18.ArchitectureName, "dfp 8/8/8")]
    [InlineData(ResNet18.ArchitectureName, "int8 float per-channel asymmetric")]
    public void Should_Equal_The_Exact_Simulation_On_Zoo_Networks_With_Random_Weights(string name, string kind)
    {
        using var zoo = ModelZoo.Create(name, seed: 5);
        using var net = Ristretto.Transforms.BatchNormFolding.Fold(zoo);
        net.eval();
        long[] shape = [2, .. net.Inputs[0].Shape.Skip(1)];
        using var images = randn(shape, generator: new TorchSharp.torch.Generator(9));
        var plan = EnginePlans.Make(kind, net, EnginePlans.Ranges(net, images));
        using var engine = new IntegerEngine(net, plan);
        var (simulated, exact) = Simulate(net, plan, images);
        using var actual = engine.Forward(images);
        Assert.Equal((0L, 0L), EnginePlans.Differences(exact, actual));
        output.WriteLine($"{name} {kind}: float32 simulation vs engine {EnginePlans.Differences(simulated, actual)} (outputs, images); " +
                         $"largest accumulator {engine.MaxAccumulatorMagnitude:E3}; int64 layers: {string.Join(", ", engine.Arithmetic.Where(a => a.NeedsInt64).Select(a => a.Layer))}");
        simulated.Dispose();
        exact.Dispose();
    }

    [Fact]
    public void Should_Refuse_A_Format_It_Cannot_Run_Naming_The_Layer()
    {
        using var lenet = new TrainedLeNet(testImages: 10);
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["conv1"] = new(new MiniFloat(4, 3), null, new MiniFloat(4, 3), new MiniFloat(4, 3)),
        });
        var e = Assert.Throws<RistrettoException>(() => new IntegerEngine(lenet.Net, plan));
        Assert.Contains("'conv1'", e.Message, StringComparison.Ordinal);
        Assert.Contains("minifloat", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Refuse_Plans_It_Cannot_Run_In_One_Line_Naming_The_Layer()
    {
        using var lenet = new TrainedLeNet(testImages: 10);
        var full = EnginePlans.Make("dfp 8/8/8", lenet.Net, Calibration.Measure(lenet.Net, lenet.Train, 2, 64));
        QuantizationPlan With(string layer, LayerQuantization? spec)
        {
            var layers = full.Layers.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
            if (spec is null)
                layers.Remove(layer);
            else
                layers[layer] = spec;
            return new QuantizationPlan(layers);
        }
        var conv1 = full.Layers["conv1"];
        var refusals = new (QuantizationPlan Plan, string Layer, string Says)[]
        {
            (With("conv2", null), "conv2", "float between two quantized layers"),
            (With("conv1", conv1 with { Output = null }), "conv1", "output is float"),
            (With("conv1", conv1 with { Rounding = Rounding.Stochastic }), "conv1", "Stochastic"),
            (With("conv1", conv1 with { Input = new PowerOfTwo(-8, -1) }), "conv1", "pow2"),
            (With("conv1", conv1 with { Output = IntegerFormat.PerChannel(8, 1, Enumerable.Repeat(0.1f, 20)) }), "conv1", "per-channel output"),
            (With("conv1", conv1 with { Weights = new BinaryFormat(0.5f) }), "conv1", "not an integer grid"),
        };
        foreach (var (plan, layer, says) in refusals)
        {
            var e = Assert.Throws<RistrettoException>(() => new IntegerEngine(lenet.Net, plan));
            output.WriteLine(e.Message);
            Assert.Contains($"'{layer}'", e.Message, StringComparison.Ordinal);
            Assert.Contains(says, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void Should_Refuse_A_Quantized_Lrn_And_A_Float_Lrn_Between_Quantized_Layers()
    {
        using var net = ModelZoo.Create(Cifar10Full.ArchitectureName, seed: 3);
        var dfp = new DynamicFixedPoint(8, 4);
        var conv = new LayerQuantization(dfp, new DynamicFixedPoint(16, 8), dfp, dfp);
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["conv1"] = conv, ["conv2"] = conv });
        var between = Assert.Throws<RistrettoException>(() => new IntegerEngine(net, plan));
        Assert.Contains("'norm1' (LRN)", between.Message, StringComparison.Ordinal);
        var lrn = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["conv1"] = conv, ["norm1"] = new(Input: dfp, Output: dfp), ["conv2"] = conv });
        var quantized = Assert.Throws<RistrettoException>(() => new IntegerEngine(net, lrn));
        Assert.Contains("'norm1'", quantized.Message, StringComparison.Ordinal);
        Assert.Contains("LRNRistretto", quantized.Message, StringComparison.Ordinal);
    }

    /// <summary>The float32 simulation's and the exact mode's outputs.</summary>
    internal static (Tensor Simulated, Tensor Exact) Simulate(Ristretto.Graph.Network net, QuantizationPlan plan, Tensor images)
    {
        using var _ = no_grad();
        using var simulated = new QuantizedNetwork(net, plan);
        using var exact = QuantizedNetwork.Exact(net, plan);
        simulated.eval();
        exact.eval();
        return (simulated.forward(images), exact.forward(images));
    }
}

