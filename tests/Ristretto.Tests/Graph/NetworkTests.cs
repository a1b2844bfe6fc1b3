using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Tests.Support;
using Ristretto.Training;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Graph;

public class NetworkTests
{
    [Fact]
    public void Should_Compute_LeNet_As_The_Functional_Ops_Do()
    {
        using var net = LeNet.Build(seed: 6);
        using var scope = NewDisposeScope();
        var x = rand(4, 1, 28, 28);
        var conv1 = (ConvolutionLayer)net["conv1"];
        var conv2 = (ConvolutionLayer)net["conv2"];
        var ip1 = (InnerProductLayer)net["ip1"];
        var ip2 = (InnerProductLayer)net["ip2"];
        var h = nn.functional.max_pool2d(nn.functional.conv2d(x, conv1.Weight, conv1.Bias), 2, 2);
        h = nn.functional.max_pool2d(nn.functional.conv2d(h, conv2.Weight, conv2.Bias), 2, 2);
        h = nn.functional.linear(nn.functional.linear(h.flatten(1), ip1.Weight, ip1.Bias).relu(), ip2.Weight, ip2.Bias);
        using var noGrad = no_grad();
        Assert.Equal(h.data<float>().ToArray(), net.forward(x).data<float>().ToArray());
    }

    [Fact]
    public void Should_Count_LeNets_Macs_Per_Layer_As_By_Hand()
    {
        using var net = LeNet.Build();
        var shapes = net.Validate();
        var macs = net.Nodes.ToDictionary(n => n.Layer.LayerName, n => n.Layer.Macs(n.Inputs.Select(b => shapes[b]).ToArray()));
        Assert.Equal(20L * 24 * 24 * 25, macs["conv1"]);          // 288,000
        Assert.Equal(50L * 8 * 8 * 20 * 25, macs["conv2"]);       // 1,600,000
        Assert.Equal(800L * 500, macs["ip1"]);                    // 400,000
        Assert.Equal(500L * 10, macs["ip2"]);                     // 5,000
        Assert.Equal(new long[] { 1, 10 }, shapes[net.Outputs[0]]);
    }

    [Fact]
    public void Should_Let_An_Observer_See_A_Tensor_Before_An_In_Place_Layer_Rewrites_It()
    {
        using var net = LeNet.Build(seed: 2);
        using var scope = NewDisposeScope();
        var seen = new Dictionary<string, (float Min, string Layer)>();
        using (no_grad())
            net.Run(new Dictionary<string, Tensor> { ["data"] = rand(8, 1, 28, 28) }, (blob, layer, t) => seen[blob] = (t.min().item<float>(), layer.LayerName));
        Assert.True(seen["ip1"].Min < 0, "ip1 as produced by the inner product must keep its negative values");
        Assert.Equal("ip1", seen["ip1"].Layer);
        Assert.Equal(0f, seen["ip1@relu1"].Min);
        Assert.Equal("relu1", seen["ip1@relu1"].Layer);
        Assert.Equal("ip1", net.SourceBlobNames["ip1@relu1"]);
    }

    [Fact]
    public void Should_Free_Every_Intermediate_Tensor_After_Its_Last_Use()
    {
        using var net = LeNet.Build();
        using var x = rand(2, 1, 28, 28);
        using var noGrad = no_grad();
        DisposeScopeManager.Statistics.Reset();
        using (var scope = NewDisposeScope())
        {
            var y = net.forward(x);
            Assert.Equal(new long[] { 2, 10 }, y.shape);
            Assert.InRange(DisposeScopeManager.Statistics.ThreadTotalLiveCount, 1, 2); // the output (and at most a view)
        }
    }

    [Fact]
    public void Should_Name_The_Layer_Whose_Input_Does_Not_Fit()
    {
        var rng = new SplitMix64(1);
        var builder = new NetworkBuilder("bad")
            .Input("data", 1, 3, 32, 32)
            .Add(new ConvolutionLayer("conv1", ParameterInitForTests.Xavier([16, 3, 3, 3], ref rng), null, ConvolutionLayer.Geometry.Square(3)), "data", "c1")
            .Add(new ConvolutionLayer("conv2", ParameterInitForTests.Xavier([8, 12, 3, 3], ref rng), null, ConvolutionLayer.Geometry.Square(3)), "c1", "c2");
        var e = Assert.Throws<RistrettoException>(() => builder.Build());
        Assert.Contains("layer 'conv2' (Convolution)", e.Message);
        Assert.Contains("16 channels", e.Message);
    }

    [Fact]
    public void Should_Reject_A_Layer_Reading_A_Blob_Nobody_Produces_And_Duplicate_Names()
    {
        var b = new NetworkBuilder("n").Input("data", 1, 4);
        Assert.Contains("'nope'", Assert.Throws<RistrettoException>(() => b.Add(new ReLULayer("r"), "nope", "y")).Message);
        b.Add(new ReLULayer("r"), "data", "y");
        Assert.Contains("two layers", Assert.Throws<RistrettoException>(() => b.Add(new ReLULayer("r"), "y", "z")).Message);
    }

    [Fact]
    public void Should_Train_As_A_Module()
    {
        using var train = new TensorImageSet(SyntheticDigits.Create(256, seed: 1), CPU);
        using var net = LeNet.Build(seed: 3);
        var before = net.named_parameters().First().parameter.data<float>().ToArray();
        var trainer = new Trainer(net, new SolverSettings { Iterations = 5, BatchSize = 16 });
        using var solver = trainer.Solver;
        trainer.Run(train);
        Assert.Equal(new[] { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "ip1.weight", "ip1.bias", "ip2.weight", "ip2.bias" },
            net.named_parameters().Select(p => p.name));
        Assert.NotEqual(before, net.named_parameters().First().parameter.data<float>().ToArray());
    }
}

/// <summary>Access to the internal initialiser for hand-built test networks.</summary>
internal static class ParameterInitForTests
{
    public static TorchSharp.Modules.Parameter Xavier(long[] shape, ref SplitMix64 rng) => ParameterInit.Xavier(shape, ref rng);
}
