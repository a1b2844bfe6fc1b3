using Ristretto.Layers;
using Ristretto.Zoo;

namespace Ristretto.Tests.Zoo;

public class MobileNetV2Tests
{
    [Fact]
    public void Should_Have_Torchvisions_3504872_Parameters_For_1000_Classes()
    {
        long expected = Count.Conv(3, 32, 3, bias: false) + Count.BatchNorm(32);
        long inputs = 32;
        foreach (var (t, c, n) in new (long, long, int)[] { (1, 16, 1), (6, 24, 2), (6, 32, 3), (6, 64, 4), (6, 96, 3), (6, 160, 3), (6, 320, 1) })
        {
            for (int i = 0; i < n; i++)
            {
                long hidden = inputs * t;
                if (t != 1)
                    expected += Count.Conv(inputs, hidden, 1, bias: false) + Count.BatchNorm(hidden);
                expected += Count.Conv(hidden, hidden, 3, groups: hidden, bias: false) + Count.BatchNorm(hidden);
                expected += Count.Conv(hidden, c, 1, bias: false) + Count.BatchNorm(c);
                inputs = c;
            }
        }
        expected += Count.Conv(320, 1280, 1, bias: false) + Count.BatchNorm(1280) + Count.Fc(1280, 1000);
        Assert.Equal(3_504_872, expected);
        using var net = ModelZoo.Create("mobilenetv2");
        Assert.Equal(expected, net.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Should_Use_Depthwise_Convolutions_ReLU6_And_Ten_Residual_Sums()
    {
        using var net = MobileNetV2.Build(classes: 10);
        var layers = net.Nodes.Select(n => n.Layer).ToList();
        var depthwise = layers.OfType<ConvolutionLayer>().Where(c => c.Geo.Groups > 1).ToList();
        Assert.Equal(17, depthwise.Count);
        Assert.All(depthwise, c => Assert.Equal(c.Weight.shape[0], c.Geo.Groups));
        Assert.All(depthwise, c => Assert.Equal(1, c.Weight.shape[1]));
        Assert.Equal(35, layers.OfType<ClipLayer>().Count());
        Assert.All(layers.OfType<ClipLayer>(), c => Assert.Equal((0.0, 6.0), (c.Min!.Value, c.Max!.Value)));
        Assert.Equal(10, layers.OfType<EltwiseLayer>().Count());
        Assert.Equal(52, layers.OfType<BatchNormLayer>().Count());
        var shapes = Count.Shapes(net);
        Assert.Equal(new long[] { 1, 32, 112, 112 }, shapes["features.0.2"]);
        Assert.Equal(new long[] { 1, 320, 7, 7 }, shapes["features.17.conv.3"]);
        Assert.Equal(new long[] { 1, 1280, 7, 7 }, shapes["features.18.2"]);
        Assert.Equal(new long[] { 1, 10 }, shapes[net.Outputs[0]]);
    }
}
