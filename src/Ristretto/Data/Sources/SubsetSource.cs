using Ristretto.Data.Images;

namespace Ristretto.Data.Sources;

/// <summary>Some images of another source, in the order given (a first-N or seeded subset, a calibration sample).</summary>
public sealed class SubsetSource(IImageSource parent, int[] indices, string name) : IImageSource
{
    /// <summary>The source the images come from.</summary>
    public IImageSource Parent => parent;

    /// <summary>The indices into the parent source.</summary>
    public IReadOnlyList<int> Indices => indices;

    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public string Kind => parent.Kind;

    /// <inheritdoc />
    public int Count => indices.Length;

    /// <inheritdoc />
    public bool Labelled => parent.Labelled;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => parent.ClassNames;

    /// <inheritdoc />
    public int Classes => parent.Classes;

    /// <inheritdoc />
    public int StoredChannels => parent.StoredChannels;

    /// <inheritdoc />
    public int Label(int index) => parent.Label(indices[index]);

    /// <inheritdoc />
    public string Describe(int index) => parent.Describe(indices[index]);

    /// <inheritdoc />
    public DecodedImage Read(int index, int channels) => parent.Read(indices[index], channels);

    /// <summary>The parent is shared; it is disposed by whoever opened it.</summary>
    public void Dispose()
    {
    }
}
