using Ristretto.Formats;
using Ristretto.Quantization;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Quantization;

public class PlanFileTests
{
    [Fact]
    public void Should_Round_Trip_Every_Supported_Format()
    {
        using var dir = new TempDir();
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["conv1"] = new(new DynamicFixedPoint(2, 3), new DynamicFixedPoint(2, 3), new DynamicFixedPoint(8, 8), new DynamicFixedPoint(8, 3)),
            ["ip1"] = new(new PowerOfTwo(-8, -1), null, new MiniFloat(4, 3), null, Rounding.Stochastic),
        }, "test plan");
        PlanFile.Save(dir.File("p.json"), plan);
        var back = PlanFile.Load(dir.File("p.json"));
        Assert.Equal("test plan", back.Description);
        Assert.Equal(plan.Layers["conv1"], back.Layers["conv1"]);
        Assert.Equal(plan.Layers["ip1"], back.Layers["ip1"]);
    }

    [Fact]
    public void Should_Round_Trip_Integer_Binary_And_Ternary_Formats_Bit_For_Bit()
    {
        using var dir = new TempDir();
        float odd = BitConverter.Int32BitsToSingle(0x3DCCCCCD); // 0.1f: needs the shortest round-trip form
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["conv1"] = new(IntegerFormat.PerChannel(4, 0, [odd, 0.37f, 1e-3f]), new BinaryFormat(0.0123f),
                IntegerFormat.Asymmetric(8, 0.02f, 17), IntegerFormat.Symmetric(6, 0.25f, narrowRange: true, ScaleKind.PowerOfTwo)),
            ["ip1"] = new(new TernaryFormat(0.05f, 0.3f), null,
                IntegerFormat.Symmetric(8, IntegerFormat.SnapScale(0.0371, ScaleKind.FixedPoint, 10), scaleKind: ScaleKind.FixedPoint, scaleFractionBits: 10)),
        });
        PlanFile.Save(dir.File("p.json"), plan, (0.9812, 0.9999));
        var back = PlanFile.Load(dir.File("p.json"));
        Assert.Equal(plan.Layers["conv1"], back.Layers["conv1"]);
        Assert.Equal(plan.Layers["ip1"], back.Layers["ip1"]);
        Assert.NotEqual(plan.Layers["conv1"], back.Layers["ip1"]);
        Assert.Contains("\"top1\": 0.9812", File.ReadAllText(dir.File("p.json")));
    }

    [Fact]
    public void Should_Round_Trip_The_Learned_Step_Mark()
    {
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["a"] = new(IntegerFormat.Symmetric(4, 0.25f), Learning: StepLearning.Lsq),
            ["b"] = new(Input: IntegerFormat.Asymmetric(8, 0.5f, 3), Learning: StepLearning.LsqPlus),
            ["c"] = new(IntegerFormat.Symmetric(4, 0.25f)),
        });
        string text = PlanFile.Serialize(plan);
        Assert.Contains("\"learn\": \"lsq+\"", text);
        var back = PlanFile.Parse(text, "p.json");
        Assert.Equal(plan.Layers, back.Layers);
        Assert.Equal(StepLearning.None, back.Layers["c"].Learning);
    }

    [Fact]
    public void Integer_Formats_With_Different_Scales_Should_Differ()
    {
        Assert.Equal(IntegerFormat.Symmetric(4, 0.5f), IntegerFormat.Symmetric(4, 0.5f));
        Assert.NotEqual(IntegerFormat.Symmetric(4, 0.5f), IntegerFormat.Symmetric(4, 0.25f));
        Assert.NotEqual(IntegerFormat.Asymmetric(4, 0.5f, 1), IntegerFormat.Asymmetric(4, 0.5f, 2));
    }

    [Theory]
    [InlineData("{\"layers\": {\"c\": {\"weights\": {\"kind\": \"int\", \"bw\": 4, \"scales\": [-1]}}}}", "scale must be a positive")]
    [InlineData("{\"layers\": {\"c\": {\"weights\": {\"kind\": \"int\", \"bw\": 4}}}}", "missing \"scales\"")]
    [InlineData("{\"layers\": {\"c\": {\"weights\": {\"kind\": \"int\", \"bw\": 4, \"scales\": [1], \"scale_kind\": \"log\"}}}}", "unknown scale_kind")]
    [InlineData("{", "not valid JSON")]
    [InlineData("{\"layers\": {\"c\": {\"weights\": {\"kind\": \"dfp\", \"bw\": 0, \"fl\": 1}}}}", "layer 'c' weights")]
    [InlineData("{\"layers\": {\"c\": {\"weights\": {\"kind\": \"posit\"}}}}", "unknown format kind 'posit'")]
    [InlineData("{\"description\": \"x\"}", "no \"layers\"")]
    [InlineData("{\"layers\": {\"c\": {\"weights\": {\"kind\": \"dfp\", \"bw\": 4, \"fl\": 2}, \"learn\": \"lsq\"}}}", "no int format")]
    [InlineData("{\"layers\": {\"c\": {\"weights\": {\"kind\": \"int\", \"bw\": 4, \"signed\": true, \"scales\": [1]}, \"learn\": \"pact\"}}}", "unknown \"learn\" 'pact'")]
    public void Should_Reject_A_Malformed_Plan_In_One_Line(string text, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("p.json"), text);
        var e = Assert.Throws<RistrettoException>(() => PlanFile.Load(dir.File("p.json")));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
