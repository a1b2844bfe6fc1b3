using System.Text.Json.Nodes;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Search;

/// <summary>Issue 15 part 0: by default no calibrated value saturates, and non-negative tensors are unsigned.</summary>
public class RangeRulesTests
{
    [Theory]
    [InlineData(16, 1.9, true)]
    [InlineData(8, 0.996, true)]
    [InlineData(8, 0.996, false)]
    [InlineData(4, 100.0, false)]
    [InlineData(2, 0.2, true)]
    public void Should_Hold_The_Maximum_Within_Half_A_Step(int bits, double max, bool signed)
    {
        var f = DynamicFixedPoint.Holding(bits, max, signed);
        Assert.Equal(signed, f.Signed);
        Assert.True((f.MaxCode + 0.5) * f.Step >= max, $"{f} saturates {max}");
        var finer = new DynamicFixedPoint(bits, f.FractionalLength + 1, signed);
        Assert.True((finer.MaxCode + 0.5) * finer.Step < max, $"{f} is coarser than it needs to be for {max}");
        Assert.True(Math.Abs(f.Quantize(max) - max) <= f.Step / 2);
    }

    [Fact]
    public void Should_Give_An_Unsigned_Format_One_More_Bit_Of_Resolution()
    {
        var signed = DynamicFixedPoint.Holding(8, 1.0);
        var unsigned = DynamicFixedPoint.Holding(8, 1.0, signed: false);
        Assert.Equal(signed.FractionalLength + 1, unsigned.FractionalLength);
        Assert.Equal((0L, 255L), (unsigned.MinCode, unsigned.MaxCode));
        Assert.Equal(0.0, unsigned.Quantize(-3));
        Assert.True(unsigned.Unsigned);
        Assert.False(signed.Unsigned);
        Assert.Equal("int 8×u8, shift requant", Ristretto.Hardware.LayerScheme.Of(signed, null, unsigned, unsigned).Describe());
    }

    [Fact]
    public void Should_Write_Signed_False_Only_For_Unsigned_And_Read_Old_Dfp_Objects_As_Signed()
    {
        var unsigned = new DynamicFixedPoint(8, 7, signed: false);
        Assert.Equal("""{"kind":"dfp","bw":8,"fl":7,"signed":false}""", unsigned.ToJson().ToJsonString());
        Assert.Equal(unsigned, FormatRegistry.FromJson(unsigned.ToJson()));
        Assert.Equal("""{"kind":"dfp","bw":8,"fl":7}""", new DynamicFixedPoint(8, 7).ToJson().ToJsonString());
        Assert.Equal(new DynamicFixedPoint(8, 7), FormatRegistry.FromJson(JsonNode.Parse("""{"kind":"dfp","bw":8,"fl":7}""")!));
    }

    [Fact]
    public void Should_Version_Plan_Files_Load_Unversioned_Ones_And_Refuse_Newer_In_One_Line()
    {
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["ip1"] = new(new DynamicFixedPoint(8, 7), new DynamicFixedPoint(16, 12), new DynamicFixedPoint(8, 8, signed: false), new DynamicFixedPoint(8, 4, signed: false)),
        }, "p");
        string text = PlanFile.Serialize(plan);
        Assert.Equal(PlanFile.Version, (int)JsonNode.Parse(text)!["version"]!);
        Assert.Equal(plan.Layers["ip1"], PlanFile.Parse(text, "p.json").Layers["ip1"]);
        var old = PlanFile.Parse("""{"description": "v1", "layers": {"ip1": {"weights": {"kind": "dfp", "bw": 8, "fl": 7}}}}""", "old.json");
        Assert.Equal(new DynamicFixedPoint(8, 7), old.Layers["ip1"].Weights);
        var e = Assert.Throws<RistrettoException>(() => PlanFile.Parse("""{"version": 4, "layers": {}}""", "new.json"));
        Assert.Contains("new.json is version 4", e.Message);
    }

    [Fact]
    public void Should_Refuse_To_Write_An_Unsigned_Plan_As_A_Ristretto_Prototxt_Naming_The_Layer()
    {
        using var net = Ristretto.Zoo.LeNet.Build();
        var dfp = new DynamicFixedPoint(8, 6);
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["ip2"] = new(dfp, dfp, new DynamicFixedPoint(8, 6, signed: false), dfp),
        }, "unsigned");
        using var dir = new TempDir();
        var e = Assert.Throws<RistrettoException>(() => Ristretto.Interchange.Caffe.Writer.CaffeExport.Save(net, plan, dir.File("q.prototxt"), dir.File("q.caffemodel")));
        Assert.Contains("layer 'ip2'", e.Message);
        Assert.Contains("unsigned", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(dir.File("q.prototxt")));
    }

    /// <summary>
    /// The Bar: a LeNet trained here on synthetic digits, its logits scaled (argmax unchanged) so the largest is 1.9 × the
    /// power of two below it. Ristretto's rule saturates every logit above that power of two even at 16 bits; the default
    /// rules hold them all, and every input after a ReLU or pooling of non-negative values is unsigned.
    /// </summary>
    [Fact]
    public void Should_Not_Saturate_A_Largest_Logit_Far_Above_The_Power_Of_Two_Below_It()
    {
        using var trained = new TrainedLeNet();
        var net = trained.Net;
        double max = Calibration.Measure(net, trained.Train, 4, 64)["ip2"].Output;
        double target = 1.9 * Math.ScaleB(1.0, (int)Math.Floor(Math.Log2(max)));
        using (no_grad())
        {
            var ip2 = (IWeightedLayer)net["ip2"];
            using var factor = (target / max).ToScalar();
            ip2.Weight.mul_(factor);
            ip2.Bias!.mul_(factor);
        }
        var ranges = Calibration.Measure(net, trained.Train, 4, 64);
        Assert.InRange(ranges["ip2"].Output / Math.ScaleB(1.0, (int)Math.Floor(Math.Log2(ranges["ip2"].Output))), 1.8, 2.0);
        Assert.True(ranges["conv1"].InputNonNegative && ranges["ip2"].InputNonNegative && !ranges["conv2"].InputNonNegative);

        double ristretto = LargestLogitError(net, trained, RangeRules.Ristretto.DynamicFixedPoint(
            "ip2", ranges["ip2"], null, 16).Output!, RangeRules.Ristretto, ranges);
        double ours = LargestLogitError(net, trained, RangeRules.Default.DynamicFixedPoint("ip2", ranges["ip2"], null, 16).Output!, RangeRules.Default, ranges);
        Assert.True(ristretto > 0.3 * ranges["ip2"].Output, $"Ristretto's rule should saturate the top logits, error {ristretto}");
        Assert.True(ours < 1e-3 * ranges["ip2"].Output, $"the default rule saturates: error {ours}");
        Assert.True(RangeRules.Default.Input(8, ranges["ip2"]) is { Signed: false });
        Assert.True(RangeRules.Default.Input(8, ranges["conv2"]) is { Signed: true });
    }

    private static double LargestLogitError(Network net, TrainedLeNet trained, NumberFormat output, RangeRules rules, IReadOnlyDictionary<string, LayerRange> ranges)
    {
        var layers = ranges.Keys.ToDictionary(k => k, k => rules.DynamicFixedPoint(k, ranges[k], null, 16));
        var plan = new QuantizationPlan(layers, "16-bit activations");
        Assert.Equal(output, plan.Layers["ip2"].Output);
        using var quantized = new QuantizedNetwork(net, plan);
        quantized.eval();
        net.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = trained.Train.Slice(0, 256).Images;
        var expected = net.forward(x).data<float>().ToArray();
        var actual = quantized.forward(x).data<float>().ToArray();
        return expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
    }
}
