using Ristretto.Graph;
using Ristretto.Layers;

namespace Ristretto.Zoo;

/// <summary>
/// Caffe's <c>examples/cifar10/cifar10_full</c> network for 3×32×32 inputs: conv1 32×5×5 (pad 2), pool1 max 3/2,
/// relu1 (in place on pool1), norm1 (LRN within channel, 3, α 5e-5, β 0.75), conv2 32×5×5, relu2, pool2 average
/// 3/2, norm2, conv3 64×5×5, relu3, pool3 average 3/2, ip1; pooling rounds up as Caffe's does (32 → 16 → 8 → 4).
/// 89,578 parameters for 10 classes. The network ends with the ip1 scores.
/// </summary>
public static class Cifar10Full
{
    /// <summary>The zoo name.</summary>
    public const string ArchitectureName = "cifar10";

    /// <summary>Builds the network for <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public static Network Build(int classes = 10, ulong seed = 1)
    {
        var z = new ZooBuilder(ArchitectureName, seed, 1, 3, 32, 32);
        var x = z.Conv("conv1", "data", 32, 5, pad: 2);
        x = z.Pool("pool1", x, PoolingLayer.Method.Max, 3, 2);
        z.ReLU("relu1", x);
        x = z.Lrn("norm1", x, 3, 5e-5f, 0.75f, withinChannel: true);
        x = z.Conv("conv2", x, 32, 5, pad: 2);
        z.ReLU("relu2", x);
        x = z.Pool("pool2", x, PoolingLayer.Method.Average, 3, 2);
        x = z.Lrn("norm2", x, 3, 5e-5f, 0.75f, withinChannel: true);
        x = z.Conv("conv3", x, 64, 5, pad: 2);
        z.ReLU("relu3", x);
        x = z.Pool("pool3", x, PoolingLayer.Method.Average, 3, 2);
        z.Fc("ip1", x, classes);
        return z.Build();
    }
}
