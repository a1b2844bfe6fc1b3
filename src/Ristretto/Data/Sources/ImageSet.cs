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
        Classes = labels.Length == 0 ? 0 : labels.Max() + 1;
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
        var (shape, pixels) = IdxFile.Read(imagesPath);
        if (shape.Length != 3)
            throw new RistrettoException($"{imagesPath}: expected rank-3 images (count × height × width), found rank {shape.Length}");
        var (labelShape, labels) = IdxFile.Read(labelsPath);
        if (labelShape.Length != 1)
            throw new RistrettoException($"{labelsPath}: expected rank-1 labels, found rank {labelShape.Length}");
        if (labelShape[0] != shape[0])
            throw new RistrettoException($"{name}: {imagesPath} has {shape[0]:N0} images but {labelsPath} has {labelShape[0]:N0} labels");
        return new ImageSet(name, pixels, labels, shape[1], shape[2]);
    }
}
