using Ristretto.Layers;
using Ristretto.Zoo;

namespace Ristretto.Tests.Zoo;

public class CaffeFamilyTests
{
    [Fact]
    public void Should_Give_Cifar10_Full_89578_Parameters_And_Caffes_Rounded_Up_Pooling()
    {
        using var net = ModelZoo.Create("cifar10");
        long expected = Count.Conv(3, 32, 5) + Count.Conv(32, 32, 5) + Count.Conv(32, 64, 5) + Count.Fc(64 * 4 * 4, 10);
        Assert.Equal(89_578, expected);
        Assert.Equal(expected, net.parameters().Sum(p => p.numel()));
        var shapes = Count.Shapes(net);
        // 32 → 16 → 8 → 4: (32 − 3) / 2 rounds up to 15 windows, + 1.
        Assert.Equal(new long[] { 1, 32, 16, 16 }, shapes["pool1"]);
        Assert.Equal(new long[] { 1, 32, 8, 8 }, shapes["pool2"]);
        Assert.Equal(new long[] { 1, 64, 4, 4 }, shapes["pool3"]);
        Assert.Equal(new long[] { 1, 10 }, shapes[net.Outputs[0]]);
        Assert.All(net.Nodes.Select(n => n.Layer).OfType<LrnLayer>(), l => Assert.True(l.WithinChannel));
    }

    [Theory]
    [InlineData("alexnet", "norm1", "pool1")]
    [InlineData("caffenet", "pool1", "norm1")]
    public void Should_Give_AlexNet_And_CaffeNet_60965224_Parameters_With_Two_Groups_In_Conv2_4_5(string name, string first, string second)
    {
        using var net = ModelZoo.Create(name);
        long expected = Count.Conv(3, 96, 11) + Count.Conv(96, 256, 5, groups: 2) + Count.Conv(256, 384, 3)
            + Count.Conv(384, 384, 3, groups: 2) + Count.Conv(384, 256, 3, groups: 2)
            + Count.Fc(256 * 6 * 6, 4096) + Count.Fc(4096, 4096) + Count.Fc(4096, 1000);
        Assert.Equal(60_965_224, expected);
        Assert.Equal(expected, net.parameters().Sum(p => p.numel()));
        var names = net.Nodes.Select(n => n.Layer.LayerName).ToList();
        Assert.True(names.IndexOf(first) < names.IndexOf(second), $"{name} runs {second} before {first}");
        Assert.Equal([1L, 2, 1, 2, 2], net.Nodes.Select(n => n.Layer).OfType<ConvolutionLayer>().Select(c => c.Geo.Groups));
        var shapes = Count.Shapes(net);
        Assert.Equal(new long[] { 1, 96, 55, 55 }, shapes["conv1@relu1"]);
        Assert.Equal(new long[] { 1, 256, 6, 6 }, shapes["pool5"]);
        Assert.Equal(new long[] { 1, 1000 }, shapes[net.Outputs[0]]);
    }

    [Fact]
    public void Should_Give_SqueezeNet_1_0_1248424_Parameters_And_1_1_1235496()
    {
        static long Fire(long inputs, long squeeze, long expand) =>
            Count.Conv(inputs, squeeze, 1) + Count.Conv(squeeze, expand, 1) + Count.Conv(squeeze, expand, 3);
        long v10 = Count.Conv(3, 96, 7) + Fire(96, 16, 64) + Fire(128, 16, 64) + Fire(128, 32, 128) + Fire(256, 32, 128)
            + Fire(256, 48, 192) + Fire(384, 48, 192) + Fire(384, 64, 256) + Fire(512, 64, 256) + Count.Conv(512, 1000, 1);
        long v11 = v10 - Count.Conv(3, 96, 7) + Count.Conv(3, 64, 3) - Fire(96, 16, 64) + Fire(64, 16, 64);
        Assert.Equal(1_248_424, v10);
        Assert.Equal(1_235_496, v11);
        using var a = ModelZoo.Create("squeezenet");
        using var b = ModelZoo.Create("squeezenet1.1");
        Assert.Equal(SqueezeNet.V10Name, a.Name);
        Assert.Equal(v10, a.parameters().Sum(p => p.numel()));
        Assert.Equal(v11, b.parameters().Sum(p => p.numel()));
        var shapesA = Count.Shapes(a);
        var shapesB = Count.Shapes(b);
        Assert.Equal(new long[] { 1, 96, 55, 55 }, shapesA["pool1"]);
        Assert.Equal(new long[] { 1, 512, 13, 13 }, shapesA["fire9/concat"]);
        Assert.Equal(new long[] { 1, 1000, 15, 15 }, shapesA["conv10"]); // v1.0's prototxt pads the 1×1 conv10 by 1
        Assert.Equal(new long[] { 1, 64, 56, 56 }, shapesB["pool1"]);
        Assert.Equal(new long[] { 1, 512, 14, 14 }, shapesB["fire9/concat"]);
        Assert.Equal(new long[] { 1, 1000, 14, 14 }, shapesB["conv10"]);
        Assert.Equal(new long[] { 1, 1000 }, shapesA[a.Outputs[0]]);
        Assert.Equal(new long[] { 1, 1000 }, shapesB[b.Outputs[0]]);
    }

    [Fact]
    public void Should_Give_GoogLeNet_Nine_Inception_Modules_Without_Auxiliary_Heads()
    {
        static long Inception(long inputs, long c1, long r3, long c3, long r5, long c5, long pool) =>
            Count.Conv(inputs, c1, 1) + Count.Conv(inputs, r3, 1) + Count.Conv(r3, c3, 3) + Count.Conv(inputs, r5, 1)
            + Count.Conv(r5, c5, 5) + Count.Conv(inputs, pool, 1);
        long expected = Count.Conv(3, 64, 7) + Count.Conv(64, 64, 1) + Count.Conv(64, 192, 3)
            + Inception(192, 64, 96, 128, 16, 32, 32) + Inception(256, 128, 128, 192, 32, 96, 64)
            + Inception(480, 192, 96, 208, 16, 48, 64) + Inception(512, 160, 112, 224, 24, 64, 64)
            + Inception(512, 128, 128, 256, 24, 64, 64) + Inception(512, 112, 144, 288, 32, 64, 64)
            + Inception(528, 256, 160, 320, 32, 128, 128) + Inception(832, 256, 160, 320, 32, 128, 128)
            + Inception(832, 384, 192, 384, 48, 128, 128) + Count.Fc(1024, 1000);
        using var net = ModelZoo.Create("googlenet");
        Assert.Equal(expected, net.parameters().Sum(p => p.numel()));
        Assert.Equal(9, net.Nodes.Count(n => n.Layer is ConcatLayer));
        Assert.DoesNotContain(net.Nodes, n => n.Layer.LayerName.StartsWith("loss1", StringComparison.Ordinal) || n.Layer.LayerName.StartsWith("loss2", StringComparison.Ordinal));
        var shapes = Count.Shapes(net);
        Assert.Equal(new long[] { 1, 64, 56, 56 }, shapes["pool1/3x3_s2"]);
        Assert.Equal(new long[] { 1, 256, 28, 28 }, shapes["inception_3a/output"]);
        Assert.Equal(new long[] { 1, 480, 14, 14 }, shapes["pool3/3x3_s2"]);
        Assert.Equal(new long[] { 1, 832, 7, 7 }, shapes["pool4/3x3_s2"]);
        Assert.Equal(new long[] { 1, 1024, 1, 1 }, shapes["pool5/7x7_s1"]);
        Assert.Equal(new long[] { 1, 1000 }, shapes[net.Outputs[0]]);
    }
}
