using Ristretto.Deploy;
using Ristretto.Formats;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;
using static TorchSharp.torch;

namespace Ristretto.Tests.Deploy;

/// <summary>
/// What is simulated is what an integer datapath computes: on a trained LeNet, the integer engine's outputs equal the
/// simulation's bit for bit for dynamic fixed point (8/8/8 and 4/4/8) and power-of-two-scale integer plans
/// (per-channel weights, asymmetric activations), and a plan it cannot run is one error naming the layer.
/// </summary>
public sealed class IntegerEngineTests
{
    public static TheoryData<string> Plans => ["dfp 8/8/8", "dfp 4/4/8", "int pow2 per-channel asymmetric 8/8/8"];

    [Theory]
    [MemberData(nameof(Plans))]
    public void Should_Equal_The_Simulation_Bit_For_Bit(string kind)
    {
        using var lenet = new TrainedLeNet(testImages: 200);
        var ranges = Calibration.Measure(lenet.Net, lenet.Train, 4, 64);
        var scheme = new IntegerScheme(ScaleKind.PowerOfTwo, PerChannelWeights: true, AsymmetricActivations: true);
        var search = kind.StartsWith("dfp", StringComparison.Ordinal)
            ? new RistrettoDfpSearch(lenet.Net, ranges, lenet.Test, 1, 100)
            : new RistrettoDfpSearch(lenet.Net, ranges, lenet.Test, 1, 100, scheme.Formats(lenet.Net), IntegerScheme.Widths, scheme.Describe());
        var plan = kind.Contains("4/4/8", StringComparison.Ordinal) ? search.Plan(4, 4, 8) : search.Plan(8, 8, 8);
        using var simulated = new QuantizedNetwork(lenet.Net, plan);
        var engine = new IntegerEngine(lenet.Net, plan);
        using var _ = no_grad();
        var (images, _) = lenet.Test.Slice(0, lenet.Test.Count);
        using (images)
        {
            using var expected = simulated.forward(images);
            using var actual = engine.Forward(images);
            Assert.Equal(expected.shape, actual.shape);
            using var differs = expected.ne(actual);
            Assert.Equal(0L, differs.sum().item<long>());
        }
        Assert.InRange(engine.MaxAccumulatorMagnitude, 1, int.MaxValue);
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
}
