using Ristretto.Graph;
using Ristretto.Layers;

namespace Ristretto.Zoo;

/// <summary>
/// ResNet-18 in torchvision's layout for 3×224×224 inputs: conv1 7×7/2 (no bias), bn1, relu, max pool 3×3/2
/// (pad 1, floor), four stages of two basic blocks (64, 128, 256, 512 channels; the first block of stages
/// 2–4 strides 2 and has a 1×1/2 convolution plus batch norm on the shortcut), the shortcut added by an
/// Eltwise sum before the block's second ReLU, global average pooling, flatten and fc. Layer names follow
/// torchvision's modules (<c>layer2.0.downsample.0</c>); batch norm and ReLU work in place on the
/// convolution's blob, as in Caffe's ResNet prototxts. 11,689,512 parameters for 1000 classes.
/// </summary>
public static class ResNet18
{
    /// <summary>The zoo name.</summary>
    public const string ArchitectureName = "resnet18";

    /// <summary>Builds ResNet-18 for <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public static Network Build(int classes = 1000, ulong seed = 1)
    {
        var z = new ZooBuilder(ArchitectureName, seed, 1, 3, 224, 224);
        var x = z.Conv("conv1", "data", 64, 7, stride: 2, pad: 3, bias: false);
        z.BatchNorm("bn1", x, x);
        z.ReLU("relu", x);
        x = z.Pool("maxpool", x, PoolingLayer.Method.Max, 3, 2, pad: 1, ceil: false);
        long[] widths = [64, 128, 256, 512];
        for (int stage = 0; stage < widths.Length; stage++)
            for (int block = 0; block < 2; block++)
                x = BasicBlock(z, $"layer{stage + 1}.{block}", x, widths[stage], stage > 0 && block == 0 ? 2 : 1);
        x = z.GlobalAveragePool("avgpool", x);
        x = z.Flatten("flatten", x);
        z.Fc("fc", x, classes);
        return z.Build();
    }

    /// <summary>conv3×3 (stride) – bn – relu – conv3×3 – bn, plus the shortcut, then relu.</summary>
    private static string BasicBlock(ZooBuilder z, string name, string input, long width, long stride)
    {
        var y = z.Conv($"{name}.conv1", input, width, 3, stride, pad: 1, bias: false);
        z.BatchNorm($"{name}.bn1", y, y);
        z.ReLU($"{name}.relu1", y);
        y = z.Conv($"{name}.conv2", y, width, 3, 1, pad: 1, bias: false);
        z.BatchNorm($"{name}.bn2", y, y);
        var shortcut = input;
        if (stride != 1 || z.Shape(input)[1] != width)
        {
            shortcut = z.Conv($"{name}.downsample.0", input, width, 1, stride, bias: false);
            z.BatchNorm($"{name}.downsample.1", shortcut, shortcut);
        }
        var sum = z.Sum($"{name}.add", [y, shortcut]);
        z.ReLU($"{name}.relu2", sum);
        return sum;
    }
}
