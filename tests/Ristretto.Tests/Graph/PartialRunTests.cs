using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Graph;

public class PartialRunTests
{
    [Theory]
    [InlineData("lenet", 28)]
    [InlineData("squeezenet1.1", 64)]   // fire modules: two branches meet in a concat, so cuts fall inside them
    public void Running_Up_To_Any_Node_And_On_From_It_Should_Give_The_Bits_Of_A_Full_Pass(string name, int size)
    {
        using var net = ModelZoo.Create(name);
        net.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        long channels = net.Inputs[0].Shape[1];
        var x = rand([2, channels, size, size], generator: g);
        var inputs = new Dictionary<string, Tensor> { [net.Inputs[0].Name] = x };
        var full = net.Run(inputs)[net.Outputs[0]];
        for (int cut = 0; cut <= net.Nodes.Count; cut++)
        {
            var frontier = net.RunUntil(cut, inputs);
            Assert.Equal(net.Frontier(cut).Order(), frontier.Keys.Order());
            var rest = net.RunFrom(cut, frontier)[net.Outputs[0]];
            Assert.True(Bits.Same(full, rest), $"{name}: the pass split before node {cut} differs");
        }
        Assert.Equal([net.Inputs[0].Name], net.Frontier(0));
    }

    [Fact]
    public void Reusing_Float_Prefixes_Should_Not_Change_A_Search_Result()
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 2, 64);
        var plans = new[]
        {
            RistrettoDfpSearch.DynamicFixedPointFormats("ip1", ranges["ip1"], 2, null),
            RistrettoDfpSearch.DynamicFixedPointFormats("ip2", ranges["ip2"], 4, 4),
        };
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["ip1"] = plans[0], ["ip2"] = plans[1] });
        var conv = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["conv2"] = RistrettoDfpSearch.DynamicFixedPointFormats("conv2", ranges["conv2"], 2, 4) });
        using var reusing = new PlanScorer(trained.Net, trained.Test, 2, 50, null, default);
        using var plain = new PlanScorer(trained.Net, trained.Test, 2, 50, null, default) { ReusePrefixes = false };
        foreach (var p in new[] { plan, conv, plan, conv })   // the second round reads the cached prefixes
        {
            var a = reusing.Score(p, "reuse");
            var b = plain.Score(p, "plain");
            Assert.Equal((b.Top1, b.Top5, b.Images), (a.Top1, a.Top5, a.Images));
        }
        using var q = new QuantizedNetwork(trained.Net, plan);
        Assert.Equal(trained.Net.Nodes.ToList().FindIndex(n => n.Layer.LayerName == "ip1"), q.FirstQuantizedNode());
    }

    [Fact]
    public void A_Float_Pass_Keeping_The_Prefix_An_Expected_Plan_Starts_From_Should_Not_Change_Any_Score()
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 2, 64);
        var fc = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["ip1"] = RistrettoDfpSearch.DynamicFixedPointFormats("ip1", ranges["ip1"], 2, null) });
        using var expecting = new PlanScorer(trained.Net, trained.Test, 2, 50, null, default);
        using var plain = new PlanScorer(trained.Net, trained.Test, 2, 50, null, default) { ReusePrefixes = false };
        expecting.Expect([QuantizationPlan.Float, fc]);
        foreach (var p in new[] { QuantizationPlan.Float, fc, QuantizationPlan.Float })
        {
            var a = expecting.Score(p, "expecting");
            var b = plain.Score(p, "plain");
            Assert.Equal((b.Top1, b.Top5, b.Images), (a.Top1, a.Top5, a.Images));
        }
    }
}
