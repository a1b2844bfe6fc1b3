using Ristretto.Data.Images;

namespace Ristretto.Data.Sources;

/// <summary>
/// One split of an IDX data set (MNIST's layout): gray images held as the file's bytes. Opened from files, only the labels
/// and the images' header are read at once; the images are read whole on first use, or only the rows a subset names
/// (<see cref="Subset"/>): a quantization that calibrates on the first 1,000 training images then reads 0.8 MB of MNIST's
/// 47 MB training file.
/// </summary>
public sealed class IdxSource : IImageSource
{
    private readonly Lazy<ImageSet> _set;
    private readonly byte[] _labels;
    private readonly string? _imagesPath;
    private readonly IdxHeader? _header;

    /// <summary>A source over images already in memory.</summary>
    public IdxSource(ImageSet set, string name)
    {
        ArgumentNullException.ThrowIfNull(set);
        _set = new Lazy<ImageSet>(set);
        _labels = set.Labels;
        Name = name;
        Height = set.Height;
        Width = set.Width;
        Classes = set.Classes;
    }

    private IdxSource(string imagesPath, IdxHeader header, byte[] labels, string setName, string name)
    {
        _imagesPath = imagesPath;
        _header = header;
        _labels = labels;
        Name = name;
        Height = header.Shape[1];
        Width = header.Shape[2];
        Classes = ImageSet.ClassCount(labels);
        _set = new Lazy<ImageSet>(() => ImageSet.Read(imagesPath, header, labels, setName));
    }

    /// <summary>
    /// Opens an images file (rank 3) and a labels file (rank 1) in IDX format: checks both headers and that they agree, reads
    /// the labels; the images are read when used.
    /// </summary>
    public static IdxSource Open(string imagesPath, string labelsPath, string setName, string name)
    {
        var header = ImageSet.ImagesHeader(imagesPath);
        var labels = ImageSet.ReadLabels(labelsPath, header, imagesPath, setName);
        return new IdxSource(imagesPath, header, labels, setName, name);
    }

    /// <summary>The images (read whole on first use when opened from files).</summary>
    public ImageSet Set => _set.Value;

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Kind => "idx";

    /// <inheritdoc />
    public int Count => _labels.Length;

    /// <inheritdoc />
    public bool Labelled => true;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => [];

    /// <inheritdoc />
    public int Classes { get; }

    /// <inheritdoc />
    public int StoredChannels => 1;

    /// <inheritdoc />
    public int Label(int index) => _labels[index];

    /// <inheritdoc />
    public string Describe(int index) => $"{Name} image {index}";

    /// <inheritdoc />
    public DecodedImage Read(int index, int channels) =>
        ChannelConversion.To(new DecodedImage(Set.Pixels.AsSpan(index * Height * Width, Height * Width).ToArray(), Height, Width, 1, ChannelOrder.Rgb), channels);

    /// <summary>
    /// The images at <paramref name="indices"/>, in that order: from memory when the set is loaded, otherwise only their rows
    /// from the file (runs of consecutive indices in one read each).
    /// </summary>
    public ImageSet Subset(IReadOnlyList<int> indices, string name)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (_imagesPath == null || _set.IsValueCreated)
            return Set.Subset(indices, name);
        int size = Height * Width;
        var pixels = new byte[indices.Count * size];
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count;)
        {
            int run = 1;
            while (i + run < indices.Count && indices[i + run] == indices[i] + run)
                run++;
            IdxFile.ReadValues(_imagesPath, _header!, (long)indices[i] * size, run * size).CopyTo(pixels, (long)i * size);
            for (int k = 0; k < run; k++)
                labels[i + k] = _labels[indices[i + k]];
            i += run;
        }
        return new ImageSet(name, pixels, labels, Height, Width);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
