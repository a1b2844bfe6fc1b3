using Ristretto.Graph;
using Ristretto.Layers;

namespace Ristretto.Zoo;

/// <summary>
/// SqueezeNet as DeepScale's Caffe prototxts, for 3×227×227 inputs. A fire module squeezes with 1×1
/// convolutions and expands with 1×1 and 3×3 (pad 1) convolutions whose outputs are concatenated; every
/// convolution is followed by an in-place ReLU. Version 1.0: conv1 96×7×7/2, pool1, fire2–4, pool4, fire5–8,
/// pool8, fire9 (1,248,424 parameters for 1000 classes). Version 1.1: conv1 64×3×3/2 and the poolings moved
/// earlier (pool1, fire2–3, pool3, fire4–5, pool5, fire6–9; 1,235,496 parameters, 2.4× fewer MACs). Both end
/// with dropout 0.5, conv10 (1×1; padded by 1 in version 1.0's prototxt, not in 1.1), ReLU and global
/// average pooling, plus a flatten to [N, classes] that the prototxts leave to the loss layer. Max pooling is
/// 3×3/2 rounding up, as Caffe's.
/// </summary>
public static class SqueezeNet
{
    /// <summary>The zoo name of version 1.0 (also reachable as "squeezenet").</summary>
    public const string V10Name = "squeezenet1.0";

    /// <summary>The zoo name of version 1.1.</summary>
    public const string V11Name = "squeezenet1.1";

    /// <summary>Builds version 1.0 for <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public static Network BuildV10(int classes = 1000, ulong seed = 1)
    {
        var z = new ZooBuilder(V10Name, seed, 1, 3, 227, 227);
        var x = z.Conv("conv1", "data", 96, 7, stride: 2);
        z.ReLU("relu_conv1", x);
        x = MaxPool(z, "pool1", x);
        x = Fire(z, 2, x, 16, 64);
        x = Fire(z, 3, x, 16, 64);
        x = Fire(z, 4, x, 32, 128);
        x = MaxPool(z, "pool4", x);
        x = Fire(z, 5, x, 32, 128);
        x = Fire(z, 6, x, 48, 192);
        x = Fire(z, 7, x, 48, 192);
        x = Fire(z, 8, x, 64, 256);
        x = MaxPool(z, "pool8", x);
        x = Fire(z, 9, x, 64, 256);
        return Classifier(z, x, classes, pad: 1);
    }

    /// <summary>Builds version 1.1 for <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public static Network BuildV11(int classes = 1000, ulong seed = 1)
    {
        var z = new ZooBuilder(V11Name, seed, 1, 3, 227, 227);
        var x = z.Conv("conv1", "data", 64, 3, stride: 2);
        z.ReLU("relu_conv1", x);
        x = MaxPool(z, "pool1", x);
        x = Fire(z, 2, x, 16, 64);
        x = Fire(z, 3, x, 16, 64);
        x = MaxPool(z, "pool3", x);
        x = Fire(z, 4, x, 32, 128);
        x = Fire(z, 5, x, 32, 128);
        x = MaxPool(z, "pool5", x);
        x = Fire(z, 6, x, 48, 192);
        x = Fire(z, 7, x, 48, 192);
        x = Fire(z, 8, x, 64, 256);
        x = Fire(z, 9, x, 64, 256);
        return Classifier(z, x, classes, pad: 0);
    }

    private static string MaxPool(ZooBuilder z, string name, string input) => z.Pool(name, input, PoolingLayer.Method.Max, 3, 2);

    private static string Fire(ZooBuilder z, int index, string input, long squeeze, long expand)
    {
        string f = $"fire{index}";
        var s = z.Conv($"{f}/squeeze1x1", input, squeeze, 1);
        z.ReLU($"{f}/relu_squeeze1x1", s);
        var e1 = z.Conv($"{f}/expand1x1", s, expand, 1);
        z.ReLU($"{f}/relu_expand1x1", e1);
        var e3 = z.Conv($"{f}/expand3x3", s, expand, 3, pad: 1);
        z.ReLU($"{f}/relu_expand3x3", e3);
        return z.Concat($"{f}/concat", [e1, e3]);
    }

    private static Network Classifier(ZooBuilder z, string x, int classes, long pad)
    {
        z.Dropout("drop9", x, 0.5);
        x = z.Conv("conv10", x, classes, 1, pad: pad);
        z.ReLU("relu_conv10", x);
        x = z.GlobalAveragePool("pool10", x);
        z.Flatten("flatten", x);
        return z.Build();
    }
}
