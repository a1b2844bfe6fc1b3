using OpenCvSharp;
using Ristretto.Data.Images;

namespace Ristretto.Data.Sources;

/// <summary>Gray ↔ colour for sources whose pixels are stored raw (IDX, CIFAR, raw Datums).</summary>
internal static class ChannelConversion
{
    /// <summary>
    /// <paramref name="image"/> with <paramref name="channels"/> channels: gray is repeated into each colour channel;
    /// colour becomes gray with OpenCV's weights (0.299 R + 0.587 G + 0.114 B, as <c>IMREAD_GRAYSCALE</c>).
    /// </summary>
    public static DecodedImage To(DecodedImage image, int channels)
    {
        if (image.Channels == channels)
            return image;
        using var mat = ImageCodec.ToMat(image);
        var code = channels == 3 ? ColorConversionCodes.GRAY2BGR
            : image.Order == ChannelOrder.Rgb ? ColorConversionCodes.RGB2GRAY : ColorConversionCodes.BGR2GRAY;
        using var converted = mat.CvtColor(code);
        return ImageCodec.FromMat(converted, "image") with { Order = image.Order };
    }
}
