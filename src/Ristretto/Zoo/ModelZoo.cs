using static TorchSharp.torch;

namespace Ristretto.Zoo;

/// <summary>Built-in architectures by name. Later issues add imported graphs and more networks.</summary>
public static class ModelZoo
{
    /// <summary>Names <see cref="Create"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [LeNet.ArchitectureName];

    /// <summary>Builds a freshly initialised network; an unknown name is a <see cref="RistrettoException"/>.</summary>
    public static nn.Module<Tensor, Tensor> Create(string name, int classes = 10, ulong seed = 1) =>
        name.ToLowerInvariant() switch
        {
            LeNet.ArchitectureName => LeNet.Build(classes, seed),
            _ => throw new RistrettoException($"unknown model '{name}'; the zoo has: {string.Join(", ", Names)}"),
        };
}
