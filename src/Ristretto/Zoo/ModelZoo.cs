using Ristretto.Graph;

namespace Ristretto.Zoo;

/// <summary>
/// Built-in architectures by name, freshly initialised from a seed (Caffe's xavier filler, biases 0, batch
/// norm as torchvision initialises it). Every network is a <see cref="Network"/> in inference mode.
/// </summary>
public static class ModelZoo
{
    private static readonly Dictionary<string, (int Classes, Func<int, ulong, Network> Build)> Builders = new(StringComparer.Ordinal)
    {
        [LeNet.ArchitectureName] = (10, LeNet.Build),
        [LeNet5.ArchitectureName] = (10, LeNet5.Build),
        [Cifar10Full.ArchitectureName] = (10, Cifar10Full.Build),
        [ReferenceCaffeNet.ArchitectureName] = (1000, ReferenceCaffeNet.Build),
        [AlexNet.ArchitectureName] = (1000, AlexNet.Build),
        [SqueezeNet.V10Name] = (1000, SqueezeNet.BuildV10),
        [SqueezeNet.V11Name] = (1000, SqueezeNet.BuildV11),
        [GoogLeNet.ArchitectureName] = (1000, GoogLeNet.Build),
        [ResNet18.ArchitectureName] = (1000, ResNet18.Build),
        [MobileNetV2.ArchitectureName] = (1000, MobileNetV2.Build),
    };

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["squeezenet"] = SqueezeNet.V10Name,
        ["lenet-5"] = LeNet5.ArchitectureName,
        ["cifar10_full"] = Cifar10Full.ArchitectureName,
        ["bvlc_alexnet"] = AlexNet.ArchitectureName,
        ["bvlc_reference_caffenet"] = ReferenceCaffeNet.ArchitectureName,
        ["bvlc_googlenet"] = GoogLeNet.ArchitectureName,
        ["inception_v1"] = GoogLeNet.ArchitectureName,
        ["resnet-18"] = ResNet18.ArchitectureName,
        ["mobilenet_v2"] = MobileNetV2.ArchitectureName,
    };

    /// <summary>Names <see cref="Create"/> accepts (aliases aside).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Builders.Keys];

    /// <summary>Whether <paramref name="name"/> (any case) is a zoo name or alias.</summary>
    public static bool Contains(string name) => Canonical(name) is not null;

    /// <summary>
    /// Builds network <paramref name="name"/> (any case; aliases allowed) with <paramref name="classes"/>
    /// outputs (default: the architecture's own, 10 for LeNet and CIFAR-10, 1000 for the ImageNet networks),
    /// initialised from <paramref name="seed"/>. An unknown name is a <see cref="RistrettoException"/>.
    /// </summary>
    public static Network Create(string name, int? classes = null, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = Canonical(name) ?? throw new RistrettoException($"unknown model '{name}'; the zoo has: {string.Join(", ", Names)}");
        var (defaultClasses, build) = Builders[key];
        int n = classes ?? defaultClasses;
        if (n < 1)
            throw new RistrettoException($"a network needs at least one class, got {n}");
        var network = build(n, seed);
        network.eval(); // LeNet.Build leaves the module's default (training) mode; the zoo hands out inference nets
        return network;
    }

    /// <summary>The number of classes <paramref name="name"/> has by default.</summary>
    public static int DefaultClasses(string name) =>
        Builders[Canonical(name) ?? throw new RistrettoException($"unknown model '{name}'; the zoo has: {string.Join(", ", Names)}")].Classes;

    private static string? Canonical(string name)
    {
        string lower = name.ToLowerInvariant();
        return Builders.ContainsKey(lower) ? lower : Aliases.GetValueOrDefault(lower);
    }
}
