namespace Ristretto.Data.Images;

/// <summary>
/// An 8-bit image as a source yields it: <see cref="Pixels"/> holds <see cref="Height"/> × <see cref="Width"/> ×
/// <see cref="Channels"/> bytes, row-major with interleaved channels (HWC). Colour images are in the order
/// <see cref="Order"/> says.
/// </summary>
public sealed record DecodedImage(byte[] Pixels, int Height, int Width, int Channels, ChannelOrder Order)
{
    /// <summary>Checks the sizes agree.</summary>
    public DecodedImage Validate(string name)
    {
        if (Height <= 0 || Width <= 0 || Channels is not (1 or 3))
            throw new RistrettoException($"{name}: image of {Height}×{Width}×{Channels} (expected positive sizes and 1 or 3 channels)");
        if ((long)Height * Width * Channels != Pixels.Length)
            throw new RistrettoException($"{name}: {Pixels.Length} bytes for an image of {Height}×{Width}×{Channels}");
        return this;
    }

    /// <summary>Builds an HWC image from planar (CHW) bytes, as CIFAR records and raw Caffe Datums store them.</summary>
    public static DecodedImage FromPlanar(ReadOnlySpan<byte> planes, int channels, int height, int width, ChannelOrder order)
    {
        int plane = height * width;
        var pixels = new byte[plane * channels];
        for (int c = 0; c < channels; c++)
        {
            var src = planes.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
                pixels[i * channels + c] = src[i];
        }
        return new DecodedImage(pixels, height, width, channels, order);
    }
}

/// <summary>The order of a colour image's channels.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (image files as Pillow and torchvision read them, CIFAR records).</summary>
    Rgb,

    /// <summary>Blue, green, red (OpenCV's order, so Caffe's image layers and the LMDBs its tools wrote).</summary>
    Bgr,
}
