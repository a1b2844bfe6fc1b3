using OpenCvSharp;

namespace Ristretto.Data.Images;

/// <summary>
/// Decodes and encodes image files (JPEG, PNG, BMP, ...) with OpenCV, as Caffe's data layers did: EXIF orientation is
/// applied, CMYK JPEGs and RGBA PNGs come out as colour, and a gray or colour result is asked for directly
/// (Caffe's <c>is_color</c>, <c>force_color</c>, <c>force_gray</c>). Colour images come out in OpenCV's BGR order.
/// </summary>
public static class ImageCodec
{
    /// <summary>
    /// Decodes <paramref name="bytes"/> to 8-bit pixels with <paramref name="channels"/> channels (1 gray or 3 colour).
    /// A file that is not an image, or a truncated JPEG or PNG, is a <see cref="RistrettoException"/> naming <paramref name="name"/>.
    /// </summary>
    public static DecodedImage Decode(byte[] bytes, int channels, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 or 3 channels");
        if (bytes.Length == 0)
            throw new RistrettoException($"{name}: empty image file");
        if (Truncated(bytes) is { } why)
            throw new RistrettoException($"{name}: truncated image ({why})");
        if (BrokenPngChunks(bytes) is { } broken)
            throw new RistrettoException($"{name}: malformed PNG ({broken})");
        Mat decoded;
        try
        {
            decoded = Cv2.ImDecode(bytes, channels == 1 ? ImreadModes.Grayscale : ImreadModes.Color);
        }
        catch (OpenCVException e)
        {
            // OpenCV checks a header's size against CV_IO_MAX_IMAGE_PIXELS (2^30) and _WIDTH/_HEIGHT before allocating, and
            // says so with an exception: a file claiming absurd dimensions.
            throw new RistrettoException($"{name}: not a readable image (OpenCV refused it: {e.Message})", e);
        }
        using var mat = decoded;
        if (mat.Empty())
            throw new RistrettoException($"{name}: not a readable image (OpenCV could not decode it)");
        return FromMat(mat, name);
    }

    /// <summary>Copies an 8-bit, 1- or 3-channel BGR/gray <see cref="Mat"/> into a <see cref="DecodedImage"/>.</summary>
    internal static DecodedImage FromMat(Mat mat, string name)
    {
        if (mat.Depth() != MatType.CV_8U || mat.Channels() is not (1 or 3))
            throw new RistrettoException($"{name}: decoded to {mat.Channels()} channels of depth {mat.Depth()}; expected 8-bit gray or colour");
        int h = mat.Rows, w = mat.Cols, c = mat.Channels();
        var pixels = new byte[h * w * c];
        using (var dense = mat.IsContinuous() ? null : mat.Clone())
        {
            var source = dense ?? mat;
            System.Runtime.InteropServices.Marshal.Copy(source.Data, pixels, 0, pixels.Length);
        }
        return new DecodedImage(pixels, h, w, c, ChannelOrder.Bgr);
    }

    /// <summary>Wraps an image's bytes in a <see cref="Mat"/> that shares them (pinned by the caller's lifetime of the array).</summary>
    internal static Mat ToMat(DecodedImage image) =>
        Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC(image.Channels), image.Pixels);

    /// <summary>
    /// Encodes an image to a file format chosen by <paramref name="extension"/> (".png", ".jpg", ".bmp"); JPEG at
    /// <paramref name="quality"/>. Colour images are taken in their own order (<see cref="DecodedImage.Order"/>).
    /// </summary>
    public static byte[] Encode(DecodedImage image, string extension, int quality = 95)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var mat = ToMat(image);
        using var bgr = image.Channels == 3 && image.Order == ChannelOrder.Rgb ? mat.CvtColor(ColorConversionCodes.RGB2BGR) : mat.Clone();
        var parameters = extension.ToLowerInvariant() is ".jpg" or ".jpeg" ? new[] { new ImageEncodingParam(ImwriteFlags.JpegQuality, quality) } : [];
        Cv2.ImEncode(extension, bgr, out var bytes, parameters);
        if (bytes is not { Length: > 0 })
            throw new RistrettoException($"OpenCV cannot encode {extension} images");
        return bytes;
    }

    /// <summary>
    /// Why a PNG's chunks do not follow one another from the signature to IEND (each a 4-byte length that fits the file, a
    /// type of four ASCII letters, the data and a CRC), or null (also for anything not a PNG). OpenCV 4.13 spent 30 s
    /// and more on a PNG whose IDAT type was damaged (the fuzzing campaign's LMDB target found it), so such a file is
    /// refused before it reaches OpenCV.
    /// </summary>
    internal static string? BrokenPngChunks(byte[] bytes)
    {
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (!bytes.AsSpan().StartsWith(signature))
            return null;
        long at = signature.Length;
        while (at + 12 <= bytes.Length)
        {
            long length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)at));
            var type = bytes.AsSpan((int)at + 4, 4);
            foreach (byte b in type)
                if (!char.IsAsciiLetter((char)b))
                    return $"chunk at byte {at} has type {Convert.ToHexString(type)}, not four letters";
            if (length > int.MaxValue || at + 12 + length > bytes.Length)
                return $"chunk {System.Text.Encoding.ASCII.GetString(type)} at byte {at} claims {length:N0} bytes, past the end of the file";
            if (type.SequenceEqual("IEND"u8))
                return null;
            at += 12 + length;
        }
        return "the chunks end before IEND";
    }

    /// <summary>
    /// Why a JPEG or PNG file is cut short (libjpeg decodes a truncated JPEG with a warning and grey rows; the
    /// caller must refuse it), or null. A JPEG must end with its EOI marker (trailing padding allowed), a PNG with its IEND chunk.
    /// </summary>
    internal static string? Truncated(byte[] bytes)
    {
        if (bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF)
        {
            int end = bytes.Length;
            while (end > 2 && bytes[end - 1] is 0x00 or 0x0A or 0x0D or 0x20 or 0xFF)
                end--;
            if (end >= 2 && bytes[end - 2] == 0xFF && bytes[end - 1] == 0xD9)
                return null;
            return "a JPEG without its end-of-image marker";
        }
        ReadOnlySpan<byte> png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (bytes.AsSpan().StartsWith(png))
            return bytes.AsSpan(Math.Max(0, bytes.Length - 12)).IndexOf("IEND"u8) >= 0 ? null : "a PNG without its IEND chunk";
        return null;
    }
}
