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

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("{\"layers\": {\"c\": {\"weights\": {\"kind\": \"dfp\", \"bw\": 0, \"fl\": 1}}}}", "layer 'c' weights")]
    [InlineData("{\"layers\": {\"c\": {\"weights\": {\"kind\": \"posit\"}}}}", "unknown format kind 'posit'")]
    [InlineData("{\"description\": \"x\"}", "no \"layers\"")]
    public void Should_Reject_A_Malformed_Plan_In_One_Line(string text, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("p.json"), text);
        var e = Assert.Throws<RistrettoException>(() => PlanFile.Load(dir.File("p.json")));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
