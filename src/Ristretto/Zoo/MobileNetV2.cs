using Ristretto.Graph;

namespace Ristretto.Zoo;

/// <summary>
/// MobileNetV2 (width 1.0) in torchvision's layout for 3×224×224 inputs: features.0 is a 3×3/2 convolution to
/// 32 channels, batch norm and ReLU6; features.1–17 are inverted residual blocks (t, c, n, s) = (1, 16, 1, 1),
/// (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1), each a 1×1
/// expansion (when t ≠ 1), a 3×3 depthwise convolution (groups = channels) and a linear 1×1 projection, every
/// convolution without bias and followed by batch norm, ReLU6 (a Clip to [0, 6]) after the first two, and
/// an Eltwise sum with the block's input when the stride is 1 and the width stays; features.18 is a 1×1
/// convolution to 1280 channels; then global average pooling, flatten, dropout 0.2 and classifier.1.
/// Every layer writes its own blob (nothing in place). 3,504,872 parameters for 1000 classes.
/// </summary>
public static class MobileNetV2
{
    /// <summary>The zoo name.</summary>
    public const string ArchitectureName = "mobilenetv2";

    private static readonly (long T, long C, int N, long S)[] Settings =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    /// <summary>Builds MobileNetV2 for <paramref name="classes"/> outputs, initialised from <paramref name="seed"/>.</summary>
    public static Network Build(int classes = 1000, ulong seed = 1)
    {
        var z = new ZooBuilder(ArchitectureName, seed, 1, 3, 224, 224);
        var x = ConvBnRelu6(z, "features.0", "data", 32, 3, 2);
        int index = 1;
        foreach (var (t, c, n, s) in Settings)
            for (int i = 0; i < n; i++)
                x = InvertedResidual(z, $"features.{index++}", x, c, i == 0 ? s : 1, t);
        x = ConvBnRelu6(z, $"features.{index}", x, 1280, 1, 1);
        x = z.GlobalAveragePool("avgpool", x);
        x = z.Flatten("flatten", x);
        x = z.Add(new Layers.DropoutLayer("classifier.0", 0.2), [x], "classifier.0");
        z.Fc("classifier.1", x, classes);
        return z.Build();
    }

    /// <summary>torchvision's Conv2dNormActivation: conv (no bias; one group per channel when depthwise), batch norm, ReLU6.</summary>
    private static string ConvBnRelu6(ZooBuilder z, string name, string input, long outputs, long kernel, long stride, bool depthwise = false)
    {
        var y = z.Conv($"{name}.0", input, outputs, kernel, stride, pad: (kernel - 1) / 2, groups: depthwise ? outputs : 1, bias: false);
        y = z.BatchNorm($"{name}.1", y);
        return z.ReLU6($"{name}.2", y, $"{name}.2");
    }

    private static string InvertedResidual(ZooBuilder z, string name, string input, long outputs, long stride, long expansion)
    {
        long inputs = z.Shape(input)[1];
        long hidden = inputs * expansion;
        var y = input;
        int part = 0;
        if (expansion != 1)
            y = ConvBnRelu6(z, $"{name}.conv.{part++}", y, hidden, 1, 1);
        y = ConvBnRelu6(z, $"{name}.conv.{part++}", y, hidden, 3, stride, depthwise: true);
        y = z.Conv($"{name}.conv.{part++}", y, outputs, 1, bias: false);
        y = z.BatchNorm($"{name}.conv.{part}", y);
        return stride == 1 && inputs == outputs ? z.Sum($"{name}.add", [input, y]) : y;
    }
}
