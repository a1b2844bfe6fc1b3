using Ristretto.Graph;
using Ristretto.Hardware;
using Ristretto.Layers;
using Ristretto.Zoo;

namespace Ristretto.Tests.Zoo;

public class LeNet5Tests
{
    [Fact]
    public void Should_Have_LeCuns_Layer_Sizes_And_61706_Parameters()
    {
        using var net = ModelZoo.Create("lenet-5");
        Assert.Equal(LeNet5.ArchitectureName, net.Name);
        long expected = Count.Conv(1, 6, 5) + Count.Conv(6, 16, 5) + Count.Conv(16, 120, 5) + Count.Fc(120, 84) + Count.Fc(84, 10);
        Assert.Equal(61_706, expected);
        Assert.Equal(expected, net.parameters().Sum(p => p.numel()));
        var shapes = Count.Shapes(net);
        Assert.Equal(new long[] { 1, 6, 28, 28 }, shapes["conv1"]);
        Assert.Equal(new long[] { 1, 120, 1, 1 }, shapes["conv3"]);
        Assert.Equal(new long[] { 1, 10 }, shapes["ip2"]);
    }

    [Fact]
    public void Should_Use_Tanh_Activations_And_Average_Pooling()
    {
        using var net = LeNet5.Build();
        Assert.Equal(4, net.Nodes.Count(n => n.Layer is TanhLayer));
        Assert.All(net.Nodes.Where(n => n.Layer is PoolingLayer), n => Assert.Equal(PoolingLayer.Method.Average, ((PoolingLayer)n.Layer).PoolMethod));
        Assert.DoesNotContain(net.Nodes, n => n.Layer is ReLULayer);
        Assert.All(net.Nodes.Where(n => n.Layer is TanhLayer), n => Assert.IsAssignableFrom<ISmoothActivation>(n.Layer));
    }

    [Fact]
    public void Should_Cost_416520_Macs()
    {
        using var net = LeNet5.Build();
        Assert.Equal(416_520, NetworkCostModel.Shapes(net).Sum(s => s.Shape.Macs));
    }
}
