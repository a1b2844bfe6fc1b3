using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Models;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Models;

public class BufferStoreTests
{
    [Fact]
    public void Captured_Models_Should_Keep_BatchNorm_Statistics()
    {
        using var net = ModelZoo.Create("resnet18", 10, 1);
        var bn = net.Nodes.Select(n => n.Layer).OfType<BatchNormLayer>().First();
        var (name, mean) = bn.named_buffers().First();
        using (no_grad())
            mean.copy_(Scalars.Range(mean.numel(), ScalarType.Float32));
        var data = ModelStore.Capture("resnet18", 10, net);
        Assert.Contains(data.Weights, w => w.Name.EndsWith(name, StringComparison.Ordinal) && w.Data[3] == 3f);
        using var back = ModelStore.Instantiate(data, CPU);
        var restored = back.Nodes.Select(n => n.Layer).OfType<BatchNormLayer>().First().named_buffers().First().buffer;
        Assert.Equal(3f, restored[3].item<float>());
    }

    [Fact]
    public void A_File_Without_Buffers_Should_Still_Load()
    {
        using var net = ModelZoo.Create("resnet18", 10, 1);
        var data = ModelStore.Capture("resnet18", 10, net);
        var parametersOnly = data with { Weights = data.Weights.Where(w => net.named_parameters().Any(p => p.name == w.Name)).ToList() };
        Assert.True(parametersOnly.Weights.Count < data.Weights.Count);
        using var back = ModelStore.Instantiate(parametersOnly, CPU);
        Assert.Equal(net.ParameterCountOf(), back.ParameterCountOf());
    }
}

internal static class NetworkCounts
{
    public static long ParameterCountOf(this Network n) => n.Nodes.Sum(x => x.Layer.ParameterCount);
}
