using Ristretto.Graph;
using Ristretto.Layers;

namespace Ristretto.Zoo;

/// <summary>
/// GoogLeNet as Caffe's <c>models/bvlc_googlenet/deploy.prototxt</c> (no auxiliary classifiers) for 3×224×224
/// inputs: conv1/7x7_s2, pool1/3x3_s2, pool1/norm1 (LRN 5, α 1e-4, β 0.75), conv2/3x3_reduce, conv2/3x3,
/// conv2/norm2, pool2/3x3_s2, inception 3a–3b, pool3/3x3_s2, inception 4a–4e, pool4/3x3_s2, inception 5a–5b,
/// pool5/7x7_s1 (average), dropout 0.4 and loss3/classifier. An inception module concatenates a 1×1
/// convolution, a 1×1 reduction then 3×3, a 1×1 reduction then 5×5, and a 3×3/1 max pooling then 1×1
/// projection; every convolution has an in-place ReLU. Pooling rounds up as Caffe's. The network ends
/// with the classifier scores.
/// </summary>
public static class GoogLeNet
{
    /// <summary>The zoo name.</summary>
    public const string ArchitectureName = "googlenet";

    /// <summary>Each module's widths: 1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool projection.</summary>
    private static readonly (string Name, long C1, long R3, long C3, long R5, long C5, long Pool)[] Modules =
    [
        ("3a", 64, 96, 128, 16, 32, 32), ("3b", 128, 128, 192, 32, 96, 64),
        ("4a", 192, 96, 208, 16, 48, 64), ("4b", 160, 112, 224, 24, 64, 64), ("4c", 128, 128, 256, 24, 64, 64),
        ("4d", 112, 144, 288, 32, 64, 64), ("4e", 256, 160, 320, 32, 128, 128),
        ("5a", 256, 160, 320, 32, 128, 128), ("5b", 384, 192, 384, 48, 128, 128),
    ];

    /// <summary>Builds GoogLeNet for <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public static Network Build(int classes = 1000, ulong seed = 1)
    {
        var z = new ZooBuilder(ArchitectureName, seed, 1, 3, 224, 224);
        var x = z.Conv("conv1/7x7_s2", "data", 64, 7, stride: 2, pad: 3);
        z.ReLU("conv1/relu_7x7", x);
        x = z.Pool("pool1/3x3_s2", x, PoolingLayer.Method.Max, 3, 2);
        x = z.Lrn("pool1/norm1", x, 5, 1e-4f, 0.75f);
        x = z.Conv("conv2/3x3_reduce", x, 64, 1);
        z.ReLU("conv2/relu_3x3_reduce", x);
        x = z.Conv("conv2/3x3", x, 192, 3, pad: 1);
        z.ReLU("conv2/relu_3x3", x);
        x = z.Lrn("conv2/norm2", x, 5, 1e-4f, 0.75f);
        x = z.Pool("pool2/3x3_s2", x, PoolingLayer.Method.Max, 3, 2);
        foreach (var m in Modules)
        {
            x = Inception(z, $"inception_{m.Name}", x, m.C1, m.R3, m.C3, m.R5, m.C5, m.Pool);
            if (m.Name is "3b" or "4e")
                x = z.Pool(m.Name == "3b" ? "pool3/3x3_s2" : "pool4/3x3_s2", x, PoolingLayer.Method.Max, 3, 2);
        }
        x = z.Pool("pool5/7x7_s1", x, PoolingLayer.Method.Average, 7, 1);
        z.Dropout("pool5/drop_7x7_s1", x, 0.4);
        z.Fc("loss3/classifier", x, classes);
        return z.Build();
    }

    private static string Inception(ZooBuilder z, string name, string input, long c1, long r3, long c3, long r5, long c5, long pool)
    {
        string ConvRelu(string suffix, string x, long outputs, long kernel)
        {
            var y = z.Conv($"{name}/{suffix}", x, outputs, kernel, pad: kernel / 2);
            z.ReLU($"{name}/relu_{suffix}", y);
            return y;
        }
        var b1 = ConvRelu("1x1", input, c1, 1);
        var b3 = ConvRelu("3x3", ConvRelu("3x3_reduce", input, r3, 1), c3, 3);
        var b5 = ConvRelu("5x5", ConvRelu("5x5_reduce", input, r5, 1), c5, 5);
        var p = z.Pool($"{name}/pool", input, PoolingLayer.Method.Max, 3, 1, pad: 1);
        var bp = ConvRelu("pool_proj", p, pool, 1);
        return z.Concat($"{name}/output", [b1, b3, b5, bp]);
    }
}
