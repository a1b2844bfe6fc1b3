using Ristretto.Graph;
using Ristretto.Layers;

namespace Ristretto.Zoo;

/// <summary>
/// AlexNet exactly as Caffe's <c>models/bvlc_alexnet/deploy.prototxt</c> for 3×227×227 inputs: conv1 96×11×11/4,
/// relu1, norm1 (LRN 5, α 1e-4, β 0.75), pool1 max 3/2, conv2 256×5×5 (pad 2, 2 groups), relu2, norm2, pool2,
/// conv3 384×3×3, conv4 384×3×3 (2 groups), conv5 256×3×3 (2 groups), pool5, fc6 4096, fc7 4096 (each with
/// ReLU and dropout 0.5), fc8; ReLU and dropout in place, pooling rounding up as Caffe's does. The network
/// ends with the fc8 scores (the deploy net's softmax is left to the loss). 60,965,224 parameters for 1000
/// classes. <see cref="ReferenceCaffeNet"/> is the same network with pooling before normalisation.
/// </summary>
public static class AlexNet
{
    /// <summary>The zoo name.</summary>
    public const string ArchitectureName = "alexnet";

    /// <summary>Builds AlexNet for <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public static Network Build(int classes = 1000, ulong seed = 1) => Build(ArchitectureName, poolBeforeNorm: false, classes, seed);

    /// <summary>AlexNet (norm, then pool) or CaffeNet (pool, then norm).</summary>
    internal static Network Build(string name, bool poolBeforeNorm, int classes, ulong seed)
    {
        var z = new ZooBuilder(name, seed, 1, 3, 227, 227);
        string x = "data";
        for (int i = 1; i <= 2; i++)
        {
            x = i == 1 ? z.Conv("conv1", x, 96, 11, stride: 4) : z.Conv("conv2", x, 256, 5, pad: 2, groups: 2);
            z.ReLU($"relu{i}", x);
            if (poolBeforeNorm)
            {
                x = z.Pool($"pool{i}", x, PoolingLayer.Method.Max, 3, 2);
                x = z.Lrn($"norm{i}", x, 5, 1e-4f, 0.75f);
            }
            else
            {
                x = z.Lrn($"norm{i}", x, 5, 1e-4f, 0.75f);
                x = z.Pool($"pool{i}", x, PoolingLayer.Method.Max, 3, 2);
            }
        }
        x = z.Conv("conv3", x, 384, 3, pad: 1);
        z.ReLU("relu3", x);
        x = z.Conv("conv4", x, 384, 3, pad: 1, groups: 2);
        z.ReLU("relu4", x);
        x = z.Conv("conv5", x, 256, 3, pad: 1, groups: 2);
        z.ReLU("relu5", x);
        x = z.Pool("pool5", x, PoolingLayer.Method.Max, 3, 2);
        for (int i = 6; i <= 7; i++)
        {
            x = z.Fc($"fc{i}", x, 4096);
            z.ReLU($"relu{i}", x);
            z.Dropout($"drop{i}", x, 0.5);
        }
        z.Fc("fc8", x, classes);
        return z.Build();
    }
}
