using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Tests.Quantization;

public class ApproximateActivationTests
{
    private static float[] Probe()
    {
        var rng = new Random(5);
        var values = new List<float> { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -4f, 4f, -8f, 8f, 1e-30f, -1e-30f, 3.75f, -3.75f };
        values.AddRange(values.Where(float.IsFinite).SelectMany(v => new[] { MathF.BitIncrement(v), MathF.BitDecrement(v) }).ToList());
        for (int i = 0; i < 20_000; i++)
            values.Add((float)((rng.NextDouble() - 0.5) * 24));
        return [.. values];
    }

    private static float[] Run(Layer layer, LayerQuantization spec, float[] x)
    {
        using var approximate = QuantizedLayers.Create(layer, spec);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return approximate.forward([tensor(x)])[0].data<float>().ToArray();
    }

    public static TheoryData<string, int> Cases => new()
    {
        { "pwl", 16 }, { "pwl", 1 }, { "pwl", 7 }, { "lut", 256 }, { "lut", 2 }, { "lut", 33 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_Equal_The_Scalar_Reference_Bit_For_Bit(string kind, int count)
    {
        var entries = new DynamicFixedPoint(8, 6);
        ActivationApproximation a = kind == "pwl"
            ? new PiecewiseLinearActivation(count, -4, 4, entries)
            : new LookupTableActivation(count, -4, 4, entries);
        foreach (var layer in new Layer[] { new TanhLayer("t"), new SigmoidLayer("s"), new EluLayer("e", 1.5, 1.25) })
        {
            var function = (ISmoothActivation)layer;
            var table = a.Table(function.Value);
            var x = Probe();
            var y = Run(layer, new LayerQuantization(Approximation: a), x);
            var (below, above) = function.SlopesOutside;
            for (int i = 0; i < x.Length; i++)
            {
                float expected = (float)a.Apply(x[i], table, below, above);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[i]) || (float.IsNaN(expected) && float.IsNaN(y[i])),
                    $"{layer.Type} {a.Describe()}: x = {x[i]:R}: expected {expected:R}, got {y[i]:R}");
            }
            layer.Dispose();
        }
    }

    [Fact]
    public void Should_Approximate_Tanh_Within_Its_Interpolation_Bound_With_16_Segments()
    {
        var a = new PiecewiseLinearActivation(16, -4, 4);
        var table = a.Table(Math.Tanh);
        double worst = 0;
        for (double x = -6; x <= 6; x += 1e-3)
            worst = Math.Max(worst, Math.Abs(a.Apply(x, table) - Math.Tanh(x)));
        // Linear interpolation over h = 0.5: h²/8 · max|tanh''| = 0.0241; tanh(4) misses 1 by 6.7e-4 outside.
        Assert.InRange(worst, 0.01, 0.0241);
        var lut = new LookupTableActivation(16, -4, 4);
        var lutTable = lut.Table(Math.Tanh);
        double lutWorst = 0;
        for (double x = -4; x <= 4; x += 1e-3)
            lutWorst = Math.Max(lutWorst, Math.Abs(lut.Apply(x, lutTable) - Math.Tanh(x)));
        Assert.True(lutWorst > worst, $"a 16-entry table ({lutWorst}) should be coarser than 16 segments ({worst})");
    }

    [Fact]
    public void Should_Continue_Elu_Exactly_Above_Its_Table()
    {
        using var elu = new EluLayer("elu", 1, 1);
        var a = new PiecewiseLinearActivation(8, -8, 0);
        var y = Run(elu, new LayerQuantization(Approximation: a), [0.5f, 3f, 100f]);
        Assert.Equal(new[] { 0.5f, 3f, 100f }, y);
    }

    [Fact]
    public void Should_Pass_The_Exact_Functions_Gradient_In_Training()
    {
        using var tanh = new TanhLayer("t");
        using var layer = QuantizedLayers.Create(tanh, new LayerQuantization(Approximation: new LookupTableActivation(4, -4, 4)));
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.3f, -1.2f }).requires_grad_(true);
        var y = layer.forward([x])[0];
        y.sum().backward();
        var t = x.detach().tanh();
        var expected = t.mul(t).SubtractedFrom(1.0).data<float>().ToArray();
        var got = x.grad!.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], got[i], 1e-6f);
    }

    [Fact]
    public void Should_Round_Trip_Through_A_Plan_File_And_Refuse_Bad_Entries_In_One_Line()
    {
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["tanh1"] = new(Approximation: new PiecewiseLinearActivation(16, -4, 4, new DynamicFixedPoint(8, 7))),
            ["tanh2"] = new(Approximation: new LookupTableActivation(256, -3.5f, 3.5f)),
        });
        string text = PlanFile.Serialize(plan);
        Assert.Contains("\"version\": 3", text);
        Assert.Equal(plan.Layers, PlanFile.Parse(text, "p.json").Layers);
        foreach (var bad in new[]
        {
            """{"layers": {"t": {"approximation": {"kind": "pwl", "segments": 0, "lo": -4, "hi": 4}}}}""",
            """{"layers": {"t": {"approximation": {"kind": "lut", "size": 16, "lo": 4, "hi": -4}}}}""",
            """{"layers": {"t": {"approximation": {"kind": "spline", "segments": 4, "lo": -4, "hi": 4}}}}""",
            """{"layers": {"t": {"approximation": {"kind": "pwl", "lo": -4, "hi": 4}}}}""",
            """{"layers": {"t": {"approximation": 3}}}""",
        })
        {
            var e = Assert.Throws<RistrettoException>(() => PlanFile.Parse(bad, "p.json"));
            Assert.DoesNotContain('\n', e.Message);
            Assert.StartsWith("p.json: layer 't' approximation", e.Message);
        }
    }

    [Fact]
    public void Should_Refuse_An_Approximation_On_A_Layer_That_Is_Not_A_Smooth_Activation()
    {
        using var net = Ristretto.Zoo.LeNet5.Build();
        var spec = new LayerQuantization(Approximation: new PiecewiseLinearActivation(16, -4, 4));
        var onConv = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["conv1"] = spec });
        Assert.Contains("belongs on an activation layer", Assert.Throws<RistrettoException>(() => { using var q = new QuantizedNetwork(net, onConv); }).Message);
        var onPool = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["pool1"] = spec });
        Assert.Throws<RistrettoException>(() => { using var q = new QuantizedNetwork(net, onPool); });
        var formatsOnTanh = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["tanh1"] = spec with { Output = new DynamicFixedPoint(8, 7) } });
        Assert.Contains("takes only an \"approximation\"", Assert.Throws<RistrettoException>(() => { using var q = new QuantizedNetwork(net, formatsOnTanh); }).Message);
    }
}
