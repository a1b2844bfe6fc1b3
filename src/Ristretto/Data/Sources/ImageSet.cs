namespace Ristretto.Data.Sources;

/// <summary>
/// A labelled set of single-channel 8-bit images, as read from IDX files: <see cref="Pixels"/> holds
/// <see cref="Count"/> × <see cref="Height"/> × <see cref="Width"/> bytes in row-major order.
/// </summary>
public sealed class ImageSet
{
    /// <summary>Checks that pixels and labels agree and wraps them.</summary>
    public ImageSet(string name, byte[] pixels, byte[] labels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (height <= 0 || width <= 0)
            throw new RistrettoException($"{name}: image size {height}×{width} is not positive");
        if ((Int128)labels.Length * height * width != pixels.Length)
            throw new RistrettoException(
                $"{name}: {pixels.Length / ((long)height * width):N0} images but {labels.Length:N0} labels");
        Name = name;
        Pixels = pixels;
        Labels = labels;
        Height = height;
        Width = width;
        Classes = ClassCount(labels);
    }

    /// <summary>Where the set came from, for messages ("mnist train", a path).</summary>
    public string Name { get; }

    /// <summary>Pixel bytes, image after image.</summary>
    public byte[] Pixels { get; }

    /// <summary>One class index per image.</summary>
    public byte[] Labels { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Largest label + 1.</summary>
    public int Classes { get; }

    /// <summary>The images at <paramref name="indices"/>, in that order.</summary>
    public ImageSet Subset(IReadOnlyList<int> indices, string name)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int size = Height * Width;
        var pixels = new byte[indices.Count * size];
        var labels = new byte[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Pixels.AsSpan(indices[i] * size, size).CopyTo(pixels.AsSpan(i * size));
            labels[i] = Labels[indices[i]];
        }
        return new ImageSet(name, pixels, labels, Height, Width);
    }

    /// <summary>Reads an images file (rank 3) and a labels file (rank 1) in IDX format.</summary>
    public static ImageSet Load(string imagesPath, string labelsPath, string name)
    {
        var header = ImagesHeader(imagesPath);
        return Read(imagesPath, header, ReadLabels(labelsPath, header, imagesPath, name), name);
    }

    /// <summary>All images of a checked IDX images file, with their <paramref name="labels"/>.</summary>
    internal static ImageSet Read(string imagesPath, IdxHeader header, byte[] labels, string name) =>
        new(name, IdxFile.ReadValues(imagesPath, header, 0, checked((int)header.Count)), labels, header.Shape[1], header.Shape[2]);

    /// <summary>The checked header of an IDX images file, which must be rank 3 (count × height × width).</summary>
    internal static IdxHeader ImagesHeader(string imagesPath)
    {
        var header = IdxFile.ReadHeader(imagesPath);
        if (header.Shape.Length != 3)
            throw new RistrettoException($"{imagesPath}: expected rank-3 images (count × height × width), found rank {header.Shape.Length}");
        return header;
    }

    /// <summary>The labels of an IDX labels file (rank 1), one per image of <paramref name="images"/>.</summary>
    internal static byte[] ReadLabels(string labelsPath, IdxHeader images, string imagesPath, string name)
    {
        var (labelShape, labels) = IdxFile.Read(labelsPath);
        if (labelShape.Length != 1)
            throw new RistrettoException($"{labelsPath}: expected rank-1 labels, found rank {labelShape.Length}");
        if (labelShape[0] != images.Shape[0])
            throw new RistrettoException($"{name}: {imagesPath} has {images.Shape[0]:N0} images but {labelsPath} has {labelShape[0]:N0} labels");
        return labels;
    }

    /// <summary>Largest label + 1 (0 for no labels).</summary>
    internal static int ClassCount(byte[] labels) => labels.Length == 0 ? 0 : labels.Max() + 1;
}
