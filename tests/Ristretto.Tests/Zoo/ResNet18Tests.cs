using Ristretto.Layers;
using Ristretto.Zoo;

namespace Ristretto.Tests.Zoo;

public class ResNet18Tests
{
    [Fact]
    public void Should_Have_Torchvisions_11689512_Parameters_For_1000_Classes()
    {
        using var net = ModelZoo.Create("resnet18");
        long expected = Count.Conv(3, 64, 7, bias: false) + Count.BatchNorm(64);
        long[] widths = [64, 128, 256, 512];
        long inputs = 64;
        foreach (long w in widths)
        {
            for (int block = 0; block < 2; block++)
            {
                expected += Count.Conv(inputs, w, 3, bias: false) + Count.BatchNorm(w) + Count.Conv(w, w, 3, bias: false) + Count.BatchNorm(w);
                if (inputs != w)
                    expected += Count.Conv(inputs, w, 1, bias: false) + Count.BatchNorm(w);
                inputs = w;
            }
        }
        expected += Count.Fc(512, 1000);
        Assert.Equal(11_689_512, expected);
        Assert.Equal(expected, net.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Should_Halve_The_Plane_At_Each_Stage_From_56_To_7()
    {
        using var net = ResNet18.Build(classes: 10);
        var shapes = Count.Shapes(net);
        Assert.Equal(new long[] { 1, 64, 56, 56 }, shapes["maxpool"]);
        Assert.Equal(new long[] { 1, 64, 56, 56 }, shapes[net.Nodes.Single(n => n.Layer.LayerName == "layer1.1.relu2").Outputs[0]]);
        Assert.Equal(new long[] { 1, 128, 28, 28 }, shapes[net.Nodes.Single(n => n.Layer.LayerName == "layer2.1.relu2").Outputs[0]]);
        Assert.Equal(new long[] { 1, 256, 14, 14 }, shapes[net.Nodes.Single(n => n.Layer.LayerName == "layer3.1.relu2").Outputs[0]]);
        Assert.Equal(new long[] { 1, 512, 7, 7 }, shapes[net.Nodes.Single(n => n.Layer.LayerName == "layer4.1.relu2").Outputs[0]]);
        Assert.Equal(new long[] { 1, 10 }, shapes[net.Outputs[0]]);
    }

    [Fact]
    public void Should_Have_Twenty_Convolutions_Each_Followed_By_Its_Batch_Norm_In_Place()
    {
        using var net = ResNet18.Build();
        var nodes = net.Nodes;
        var convs = nodes.Where(n => n.Layer is ConvolutionLayer).ToList();
        Assert.Equal(20, convs.Count);
        Assert.Equal(20, nodes.Count(n => n.Layer is BatchNormLayer));
        Assert.Equal(3, nodes.Count(n => n.Layer.LayerName.EndsWith("downsample.0", StringComparison.Ordinal)));
        Assert.Equal(8, nodes.Count(n => n.Layer is EltwiseLayer));
        foreach (var conv in convs)
        {
            var bn = nodes.Single(n => n.Inputs.Contains(conv.Outputs[0]));
            Assert.IsType<BatchNormLayer>(bn.Layer);
            Assert.Equal(net.SourceBlobNames[conv.Outputs[0]], net.SourceBlobNames[bn.Outputs[0]]); // in place, as in Caffe's ResNets
            Assert.Null(((ConvolutionLayer)conv.Layer).Bias);
        }
    }

    [Fact]
    public void Should_Map_One_Image_To_Finite_Scores_That_Depend_On_The_Seed()
    {
        using var a = ResNet18.Build(seed: 1);
        using var b = ResNet18.Build(seed: 2);
        var ya = Count.ForwardOne(a);
        Assert.Equal(1000, ya.Length);
        Assert.All(ya, v => Assert.True(float.IsFinite(v)));
        Assert.True(ya.Max() > ya.Min(), "all scores are equal");
        Assert.NotEqual(ya, Count.ForwardOne(b));
    }
}
