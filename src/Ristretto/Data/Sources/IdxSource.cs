using Ristretto.Data.Images;

namespace Ristretto.Data.Sources;

/// <summary>One split of an IDX data set (MNIST's layout): gray images held as the file's bytes.</summary>
public sealed class IdxSource(ImageSet set, string name) : IImageSource
{
    private readonly int _pixels = set.Height * set.Width;

    /// <summary>The images.</summary>
    public ImageSet Set { get; } = set;

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public string Kind => "idx";

    /// <inheritdoc />
    public int Count => Set.Count;

    /// <inheritdoc />
    public bool Labelled => true;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => [];

    /// <inheritdoc />
    public int Classes => Set.Classes;

    /// <inheritdoc />
    public int StoredChannels => 1;

    /// <inheritdoc />
    public int Label(int index) => Set.Labels[index];

    /// <inheritdoc />
    public string Describe(int index) => $"{Name} image {index}";

    /// <inheritdoc />
    public DecodedImage Read(int index, int channels) =>
        ChannelConversion.To(new DecodedImage(Set.Pixels.AsSpan(index * _pixels, _pixels).ToArray(), Set.Height, Set.Width, 1, ChannelOrder.Rgb), channels);

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
