using Ristretto.Finetuning;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Finetuning;

public class FinetuneNetworkTests
{
    internal static QuantizationPlan Plan(int weightBits = 2, int activationBits = 4, Rounding rounding = Rounding.Nearest) => new(Layers(weightBits, activationBits)
        .ToDictionary(kv => kv.Key, kv => kv.Value with { Rounding = rounding }));

    private static Dictionary<string, LayerQuantization> Layers(int weightBits, int activationBits) => new()
    {
        ["conv1"] = new(new DynamicFixedPoint(weightBits, 2), new DynamicFixedPoint(8, 6), new DynamicFixedPoint(activationBits, activationBits), new DynamicFixedPoint(activationBits, activationBits - 3)),
        ["conv2"] = new(new DynamicFixedPoint(weightBits, 3), new DynamicFixedPoint(8, 7), new DynamicFixedPoint(activationBits, activationBits - 3), new DynamicFixedPoint(activationBits, activationBits - 4)),
        ["ip1"] = new(new DynamicFixedPoint(weightBits, 4), new DynamicFixedPoint(8, 7), new DynamicFixedPoint(activationBits, activationBits - 4), new DynamicFixedPoint(activationBits, activationBits - 4)),
        ["ip2"] = new(new DynamicFixedPoint(weightBits, 3), new DynamicFixedPoint(8, 7), new DynamicFixedPoint(activationBits, activationBits - 4), new DynamicFixedPoint(activationBits, activationBits - 5)),
    };

    [Theory]
    [InlineData(Rounding.Nearest)]
    [InlineData(Rounding.Stochastic)]
    public void In_Eval_Mode_It_Should_Compute_Exactly_What_The_Quantized_Network_Computes(Rounding rounding)
    {
        using var net = LeNet.Build(seed: 5);
        using var x = rand(8, 1, 28, 28);
        using var ft = new FinetuneNetwork(net, Plan(rounding: rounding), seed: 1);
        using var q = new QuantizedNetwork(net, Plan(rounding: rounding));
        ft.eval();
        using var noGrad = no_grad();
        using var a = ft.forward(x);
        using var b = q.forward(x);
        Assert.True(Bits.Same(a, b));
    }

    [Fact]
    public void A_Training_Pass_Should_Trim_Stochastically_Per_Batch_And_Pass_Gradients_To_The_Shadow_Weights()
    {
        using var net = LeNet.Build(seed: 5);
        using var x = rand(4, 1, 28, 28);
        using var ft = new FinetuneNetwork(net, Plan(), seed: 1);
        ft.train();
        ft.BeginBatch(0, 0);
        using var first = ft.forward(x);
        first.sum().backward();
        using var grad = ((IWeightedLayer)net["conv1"]).Weight.grad!;
        Assert.True(grad.abs().sum().item<float>() > 0, "no gradient reached the shadow weights");
        using var again = ft.forward(x);
        Assert.True(Bits.Same(first, again), "the same batch must draw the same rounding");
        ft.BeginBatch(1, 0);
        using var next = ft.forward(x);
        Assert.False(Bits.Same(first, next), "a new iteration must draw new stochastic rounding");
    }

    [Fact]
    public void An_LRN_In_The_Plan_Should_Draw_Per_Batch_In_Training_Pass_The_Gradient_And_Compute_Like_The_Quantized_Network_At_Test()
    {
        using var scope = NewDisposeScope();
        var b = new NetworkBuilder("lrn").Input("data", 1, 3, 8, 8);
        b.Add(new Ristretto.Layers.ConvolutionLayer("conv1", Ristretto.Graph.Layer.CopyParameter(randn(6, 3, 3, 3), true), null,
            Ristretto.Layers.ConvolutionLayer.Geometry.Square(3, pad: 1)), "data", "conv1");
        b.Add(new Ristretto.Layers.LrnLayer("norm1", 5, 0.5, 0.75, 2), "conv1", "norm1");
        using var net = b.Build();
        var m = new MiniFloat(4, 3);
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["conv1"] = new(new DynamicFixedPoint(4, 2), null, null, null, Rounding.Stochastic),
            ["norm1"] = new(Input: m, Output: m, Rounding: Rounding.Stochastic),
        });
        var x = rand(4, 3, 8, 8);
        using var ft = new FinetuneNetwork(net, plan, seed: 1);
        ft.train();
        ft.BeginBatch(0, 0);
        var first = ft.forward(x);
        first.sum().backward();
        Assert.True(((IWeightedLayer)net["conv1"]).Weight.grad!.abs().sum().item<float>() > 0, "no gradient passed the LRN");
        Assert.True(Bits.Same(first, ft.forward(x)), "the same batch must draw the same rounding");
        ft.BeginBatch(1, 0);
        Assert.False(Bits.Same(first, ft.forward(x)), "a new iteration must draw new stochastic rounding");

        ft.eval();
        using var q = new QuantizedNetwork(net, plan);
        using var noGrad = no_grad();
        Assert.True(Bits.Same(q.forward(x), ft.forward(x)));
        Assert.Contains("no integer scales", Assert.Throws<RistrettoException>(() => new FinetuneNetwork(net,
            new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["norm1"] = new(Input: m, Output: m, Learning: StepLearning.Lsq) }), seed: 1)).Message);
    }

    [Fact]
    public void Snapping_Should_Leave_Every_Planned_Weight_Exactly_On_Its_Grid()
    {
        using var net = LeNet.Build(seed: 5);
        var plan = Plan();
        using var ft = new FinetuneNetwork(net, plan, seed: 1);
        ft.SnapToGrid();
        foreach (var (name, spec) in plan.Layers)
        {
            var layer = (IWeightedLayer)net[name];
            using var w = spec.Weights!.Trim(layer.Weight);
            using var b = spec.Bias!.Trim(layer.Bias!);
            Assert.True(Bits.Same(w, layer.Weight), $"{name} weights moved when re-trimmed");
            Assert.True(Bits.Same(b, layer.Bias!), $"{name} bias moved when re-trimmed");
            using var distinct = layer.Weight.unique().Item1;
            Assert.InRange(distinct.numel(), 1, 4); // a 2-bit grid
        }
    }

    [Fact]
    public void A_Plan_Naming_A_Missing_Layer_Should_Be_One_Clear_Error()
    {
        using var net = LeNet.Build(seed: 5);
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["conv9"] = new(new DynamicFixedPoint(4, 2)) });
        var e = Assert.Throws<RistrettoException>(() => new FinetuneNetwork(net, plan, seed: 1));
        Assert.Contains("conv9", e.Message);
    }
}
