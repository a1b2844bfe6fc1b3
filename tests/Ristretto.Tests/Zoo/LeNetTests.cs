using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Zoo;

public class LeNetTests
{
    [Fact]
    public void Should_Have_Caffes_431080_Parameters_In_Its_Layers()
    {
        using var net = LeNet.Build();
        var shapes = net.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 20, 1, 5, 5 }, shapes["conv1.weight"]);
        Assert.Equal(new long[] { 50, 20, 5, 5 }, shapes["conv2.weight"]);
        Assert.Equal(new long[] { 500, 800 }, shapes["ip1.weight"]);
        Assert.Equal(new long[] { 10, 500 }, shapes["ip2.weight"]);
        Assert.Equal(431_080, net.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Should_Map_A_Batch_Of_28x28_Images_To_10_Scores()
    {
        using var net = LeNet.Build();
        using var scope = NewDisposeScope();
        var y = net.forward(zeros(3, 1, 28, 28));
        Assert.Equal(new long[] { 3, 10 }, y.shape);
    }

    [Fact]
    public void Should_Use_Caffes_Xavier_Filler_Deterministically()
    {
        using var a = LeNet.Build(seed: 4);
        using var b = LeNet.Build(seed: 4);
        using var c = LeNet.Build(seed: 5);
        foreach (var ((name, pa), (_, pb), (_, pc)) in a.named_parameters().Zip(b.named_parameters(), c.named_parameters()))
        {
            var va = pa.data<float>().ToArray();
            Assert.Equal(va, pb.data<float>().ToArray());
            if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                Assert.All(va, v => Assert.Equal(0f, v));
                continue;
            }
            Assert.NotEqual(va, pc.data<float>().ToArray());
            double bound = Math.Sqrt(3.0 / (pa.numel() / pa.shape[0]));
            Assert.All(va, v => Assert.InRange(Math.Abs(v), 0, bound));
            Assert.True(va.Max(Math.Abs) > 0.9 * bound, $"{name} does not span the xavier range");
        }
    }

    [Fact]
    public void Should_Reject_An_Unknown_Zoo_Name()
    {
        var e = Assert.Throws<RistrettoException>(() => ModelZoo.Create("resnet-9000"));
        Assert.Contains("lenet", e.Message);
    }
}
