using Ristretto.Data.Images;
using Ristretto.Tests.Support;
using Xunit.Abstractions;

namespace Ristretto.Tests.Data;

/// <summary>
/// The image kinds users bring, written by Pillow from a real photograph and decoded by OpenCV as the data sources do:
/// EXIF orientation applied, CMYK JPEGs, RGBA and gray PNGs, BMP; compared with Pillow's own reading (orientation
/// applied, converted to RGB).
/// </summary>
public sealed class ImageDecodingTests(ITestOutputHelper output)
{
    private const string Script = """
        import sys
        from PIL import Image, ImageOps
        src, out = sys.argv[1], sys.argv[2]
        im = Image.open(src).convert("RGB").resize((160, 120))
        exif = Image.Exif(); exif[0x0112] = 6  # rotate 90° clockwise to display
        im.save(out + "/exif6.jpg", quality=95, exif=exif.tobytes())
        im.convert("CMYK").save(out + "/cmyk.jpg", quality=95)
        rgba = im.copy(); rgba.putalpha(128); rgba.save(out + "/rgba.png")
        im.convert("L").save(out + "/gray.png")
        im.save(out + "/plain.bmp")
        for name in ["exif6.jpg", "cmyk.jpg", "rgba.png", "gray.png", "plain.bmp"]:
            ref = ImageOps.exif_transpose(Image.open(out + "/" + name)).convert("L" if name == "gray.png" else "RGB")
            open(out + "/" + name + ".raw", "wb").write(bytes([ref.width % 256, ref.width // 256, ref.height % 256, ref.height // 256]) + ref.tobytes())
        """;

    [PillowFact]
    public void Should_Decode_Exif_Rotated_Cmyk_Rgba_Gray_And_Bmp_As_Pillow_Shows_Them()
    {
        using var dir = new TempDir();
        ReferencePhotos.RunPython(Script, [ReferencePhotos.Paths.First(p => p.EndsWith("chelsea.png", StringComparison.Ordinal)), dir.Path]);
        foreach (var (name, channels, tolerance) in new[] { ("exif6.jpg", 3, 2.0), ("cmyk.jpg", 3, 3.0), ("rgba.png", 3, 0.0), ("gray.png", 1, 0.0), ("plain.bmp", 3, 0.0) })
        {
            var raw = File.ReadAllBytes(dir.File(name + ".raw"));
            int width = raw[0] + 256 * raw[1], height = raw[2] + 256 * raw[3];
            var image = ImageCodec.Decode(File.ReadAllBytes(dir.File(name)), channels, name);
            Assert.Equal((height, width), (image.Height, image.Width));
            double sum = 0;
            int max = 0;
            for (int i = 0; i < height * width; i++)
                for (int c = 0; c < channels; c++)
                {
                    // OpenCV gives BGR; Pillow's reference is RGB.
                    int ours = image.Pixels[i * channels + (channels == 3 ? 2 - c : 0)];
                    int d = Math.Abs(ours - raw[4 + i * channels + c]);
                    sum += d;
                    max = Math.Max(max, d);
                }
            double mean = sum / (height * width * channels);
            output.WriteLine($"{name}: {width}×{height}, mean |difference| {mean:F3}, max {max}");
            Assert.True(mean <= tolerance, $"{name}: mean |difference| {mean:F3} > {tolerance}");
        }
    }
}
