using System.Globalization;
using System.Runtime.InteropServices;
using Ristretto.Data.Images;
using Ristretto.Tests.Support;
using Xunit.Abstractions;

namespace Ristretto.Tests.Data;

/// <summary>
/// Both resizes against independent references on scikit-image's colour photographs: Caffe's (OpenCV's
/// <c>INTER_LINEAR</c>) against a scalar transcription of OpenCV's fixed-point algorithm, torchvision's (Pillow's
/// antialiased <c>BILINEAR</c>) against Pillow itself, run with Debian's Python. At least 99.9 % of the 8-bit values
/// must be within one: OpenCV's SIMD vertical pass truncates where its scalar code rounds (about 12 % of values differ
/// by one; modelling its rounding matches exactly), and libtorch's 8-bit antialiased kernel follows Pillow-SIMD's
/// fixed point rather than Pillow's (a few values in a thousand differ by one).
/// </summary>
public class ResizeFidelityTests(ITestOutputHelper output)
{
    private const double Required = 0.999;
    private const int Short = 256, Crop = 224;

    [SkimagePhotosFact]
    public void Should_Match_OpenCv_Inter_Linear_Within_One_On_The_Sample_Photographs()
    {
        // Exactly halving (astronaut to 256×256) is OpenCV's 2×2 average, which the bilinear formula reproduces; 480×640 enlarges some.
        (int Height, int Width)[] sizes = [(256, 256), (227, 227), (240, 320), (480, 640)];
        var failures = new List<string>();
        foreach (var path in ReferencePhotos.Paths)
        {
            string name = Path.GetFileName(path);
            var image = ImageCodec.Decode(File.ReadAllBytes(path), 3, name);
            foreach (var (h, w) in sizes)
            {
                var ours = Preprocessing.ResizeLinear(image, h, w).Pixels;
                var vector = Difference.Of(OpenCvLinear(image, h, w, vectorRounding: true), ours);
                Check(failures, $"{name} {image.Width}×{image.Height} → {w}×{h}", Difference.Of(OpenCvLinear(image, h, w), ours),
                    string.Create(CultureInfo.InvariantCulture, $"(exact {vector.Exact:P3} with SIMD rounding)"));
            }
        }
        Assert.Empty(failures);
    }

    [PillowFact]
    public void Should_Match_Pillow_Antialiased_Bilinear_Within_One_On_The_Sample_Photographs()
    {
        using var dir = new TempDir();
        var photos = ReferencePhotos.Paths;
        ReferencePhotos.RunPython(PillowScript, [dir.Path, .. photos]);
        output.WriteLine($"Pillow {ReferencePhotos.PillowVersion}: resize((w, h), BILINEAR) to shorter side {Short}, center crop {Crop}");
        var failures = new List<string>();
        for (int i = 0; i < photos.Count; i++)
        {
            var (input, resizedHeight, resizedWidth, top, left) = ReadPillowCase(dir, i);
            string name = Path.GetFileName(photos[i]);
            Assert.Equal((resizedHeight, resizedWidth), Preprocessing.ImageNet.ResizedSize(input.Height, input.Width));
            Assert.Equal((top, left), (RoundHalfEven((resizedHeight - Crop) / 2.0), RoundHalfEven((resizedWidth - Crop) / 2.0)));

            var ours = Preprocessing.ResizeAntialias(input, resizedHeight, resizedWidth);
            Check(failures, $"{name} {input.Width}×{input.Height} → {resizedWidth}×{resizedHeight}",
                Difference.Of(File.ReadAllBytes(dir.File($"{i}.resized")), ours.Pixels));
            Check(failures, $"{name} center crop {Crop}×{Crop} at ({left}, {top})",
                Difference.Of(File.ReadAllBytes(dir.File($"{i}.crop")), CropOf(ours, top, left, Crop, Crop)));

            // Enlarging (torchvision enlarges images shorter than 256): Pillow's triangle is then plain bilinear.
            int eh = input.Height * 3 / 2, ew = input.Width * 3 / 2;
            Check(failures, $"{name} {input.Width}×{input.Height} → {ew}×{eh} (enlarged)",
                Difference.Of(File.ReadAllBytes(dir.File($"{i}.enlarged")), Preprocessing.ResizeAntialias(input, eh, ew).Pixels));
        }
        Assert.Empty(failures);
    }

    [PillowFact]
    public void Should_Match_Torchvision_ImageNet_Preprocessing_Computed_With_Pillow_And_Numpy()
    {
        // chelsea.png: a PNG, so OpenCV and Pillow decode the same pixels; OpenCV's BGR also exercises the preset's reordering.
        string path = ReferencePhotos.Paths.FirstOrDefault(p => Path.GetFileName(p) == "chelsea.png") ?? ReferencePhotos.Paths.First(p => p.EndsWith(".png", StringComparison.Ordinal));
        string name = Path.GetFileName(path);
        using var dir = new TempDir();
        ReferencePhotos.RunPython(PillowScript, [dir.Path, path]);
        var (pillowDecoded, _, _, _, _) = ReadPillowCase(dir, 0);
        var image = ImageCodec.Decode(File.ReadAllBytes(path), 3, name);
        Assert.Equal(ChannelOrder.Bgr, image.Order);
        Assert.Equal(pillowDecoded.Pixels, SwapRedBlue(image.Pixels));

        var expected = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(dir.File("0.normalised"))).ToArray();
        var actual = new float[3 * Crop * Crop];
        Preprocessing.ImageNet.Apply(image, actual, Crop, Crop, name);

        // One 8-bit step after /255 and division by the channel's std, plus float rounding. (With 0.225, ImageNet's
        // blue std, for every channel, a one-step difference in green, whose std is 0.224, exceeds the bound.)
        var std = Preprocessing.ImageNet.Std!;
        double max = 0, maxSteps = 0;
        int beyondRounding = 0, beyondTolerance = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double step = 1.0 / 255 / std[i / (Crop * Crop)];
            double d = Math.Abs(actual[i] - (double)expected[i]);
            max = Math.Max(max, d);
            maxSteps = Math.Max(maxSteps, d / step);
            beyondRounding += d > 1e-5 ? 1 : 0;
            beyondTolerance += d > step + 1e-5 ? 1 : 0;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name} ImageNet preset vs Pillow + numpy: max |Δ| {max:G4} ({maxSteps:F4} of an 8-bit step); {beyondRounding} of {actual.Length} values differ by more than 1e-5, {beyondTolerance} by more than one step + 1e-5"));
        Assert.Equal(0, beyondTolerance);
    }

    /// <summary>
    /// Writes, for each photograph i given after the output folder: i.rgb (Pillow's decoded RGB bytes), i.resized
    /// (torchvision's Resize(256) on PIL images: resize((w, h), BILINEAR), the longer side int(256 · long / short)),
    /// i.crop (CenterCrop(224): offsets int(round(margin / 2.0))), i.enlarged (resize((3w/2, 3h/2), BILINEAR)), i.normalised (ToTensor then Normalize with the
    /// ImageNet mean and std, float32 C×H×W), and a line "w h resized_w resized_h top left" in sizes.txt.
    /// </summary>
    private const string PillowScript = """
        import os, sys
        import numpy as np
        from PIL import Image
        out, paths = sys.argv[1], sys.argv[2:]
        short, crop = 256, 224
        bilinear = getattr(Image, "Resampling", Image).BILINEAR
        mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)[:, None, None]
        std = np.array([0.229, 0.224, 0.225], dtype=np.float32)[:, None, None]
        with open(os.path.join(out, "sizes.txt"), "w") as sizes:
            for i, path in enumerate(paths):
                img = Image.open(path).convert("RGB")
                w, h = img.size
                if w <= h:
                    rw, rh = short, int(short * h / w)
                else:
                    rw, rh = int(short * w / h), short
                resized = img.resize((rw, rh), bilinear)
                enlarged = img.resize((w * 3 // 2, h * 3 // 2), bilinear)
                top, left = int(round((rh - crop) / 2.0)), int(round((rw - crop) / 2.0))
                cropped = resized.crop((left, top, left + crop, top + crop))
                x = np.asarray(cropped).transpose(2, 0, 1).astype(np.float32) / np.float32(255)
                x = (x - mean) / std
                for ext, data in (("rgb", img.tobytes()), ("resized", resized.tobytes()), ("crop", cropped.tobytes()), ("enlarged", enlarged.tobytes()),
                                  ("normalised", np.ascontiguousarray(x, dtype="<f4").tobytes())):
                    with open(os.path.join(out, f"{i}.{ext}"), "wb") as f:
                        f.write(data)
                sizes.write(f"{w} {h} {rw} {rh} {top} {left}\n")
        """;

    private static (DecodedImage Input, int ResizedHeight, int ResizedWidth, int Top, int Left) ReadPillowCase(TempDir dir, int i)
    {
        var v = File.ReadAllLines(dir.File("sizes.txt"))[i].Split(' ').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var input = new DecodedImage(File.ReadAllBytes(dir.File($"{i}.rgb")), v[1], v[0], 3, ChannelOrder.Rgb).Validate($"{i}.rgb");
        return (input, v[3], v[2], v[4], v[5]);
    }

    /// <summary>
    /// OpenCV's <c>INTER_LINEAR</c> on 8-bit images as modules/imgproc/src/resize.cpp computes it in scalar code
    /// (<c>hal::resize</c>, then <c>resizeGeneric_</c> with <c>HResizeLinear</c> and <c>VResizeLinear</c>):
    /// pixel centres map by <c>s = (d + 0.5) · scale − 0.5</c> (in float), the two weights <c>1 − f</c> and <c>f</c>
    /// are rounded to 11 bits (<c>INTER_RESIZE_COEF_BITS</c>); columns left of the first or right of the last pixel
    /// take that pixel, rows are clamped to the image. The horizontal pass keeps integer sums (scale 2¹¹), the vertical
    /// pass rounds <c>(β₀·S₀ + β₁·S₁ + 2²¹) >> 22</c> and saturates to a byte. With <paramref name="vectorRounding"/>
    /// the vertical pass rounds as OpenCV's SIMD code (<c>VResizeLinearVec_32s8u</c>) does instead:
    /// <c>((S₀ >> 4)·β₀ >> 16) + ((S₁ >> 4)·β₁ >> 16)</c>, then <c>(v + 2) >> 2</c>, which truncates twice.
    /// </summary>
    internal static byte[] OpenCvLinear(DecodedImage image, int height, int width, bool vectorRounding = false)
    {
        const int bits = 11, scale = 1 << bits;
        int sh = image.Height, sw = image.Width, cn = image.Channels;
        var pixels = image.Pixels;

        double scaleX = 1.0 / ((double)width / sw), scaleY = 1.0 / ((double)height / sh);
        var xofs = new int[width];
        var alpha = new (int A0, int A1)[width];
        for (int dx = 0; dx < width; dx++)
        {
            float fx = (float)((dx + 0.5) * scaleX - 0.5);
            int sx = (int)MathF.Floor(fx);
            fx -= sx;
            if (sx < 0)
                (fx, sx) = (0, 0);
            if (sx >= sw - 1)
                (fx, sx) = (0, sw - 1);
            xofs[dx] = sx;
            alpha[dx] = (SaturateShort((1f - fx) * scale), SaturateShort(fx * scale));
        }

        // Horizontal pass over every source row (OpenCV does only the rows it needs, with the same result).
        var horizontal = new int[sh][];
        for (int sy = 0; sy < sh; sy++)
        {
            var row = horizontal[sy] = new int[width * cn];
            int rowStart = sy * sw * cn;
            for (int dx = 0; dx < width; dx++)
            {
                int sx = xofs[dx], next = Math.Min(sx + 1, sw - 1);   // the last column has weight 0 for its neighbour
                for (int k = 0; k < cn; k++)
                    row[dx * cn + k] = pixels[rowStart + sx * cn + k] * alpha[dx].A0 + pixels[rowStart + next * cn + k] * alpha[dx].A1;
            }
        }

        var result = new byte[height * width * cn];
        for (int dy = 0; dy < height; dy++)
        {
            float fy = (float)((dy + 0.5) * scaleY - 0.5);
            int sy = (int)MathF.Floor(fy);
            fy -= sy;
            long b0 = SaturateShort((1f - fy) * scale), b1 = SaturateShort(fy * scale);
            int[] s0 = horizontal[Math.Clamp(sy, 0, sh - 1)], s1 = horizontal[Math.Clamp(sy + 1, 0, sh - 1)];
            for (int i = 0; i < width * cn; i++)
            {
                long v = vectorRounding
                    ? (((s0[i] >> 4) * b0 >> 16) + ((s1[i] >> 4) * b1 >> 16) + 2) >> 2
                    : (b0 * s0[i] + b1 * s1[i] + (1L << (2 * bits - 1))) >> (2 * bits);
                result[dy * width * cn + i] = (byte)Math.Clamp(v, 0, 255);
            }
        }
        return result;
    }

    /// <summary>OpenCV's <c>saturate_cast&lt;short&gt;(float)</c>: round half to even, then clamp.</summary>
    private static int SaturateShort(float v) => (int)Math.Clamp(MathF.Round(v, MidpointRounding.ToEven), short.MinValue, short.MaxValue);

    private static int RoundHalfEven(double v) => (int)Math.Round(v, MidpointRounding.ToEven);

    private static byte[] CropOf(DecodedImage image, int top, int left, int height, int width)
    {
        int c = image.Channels;
        var crop = new byte[height * width * c];
        for (int y = 0; y < height; y++)
            image.Pixels.AsSpan(((top + y) * image.Width + left) * c, width * c).CopyTo(crop.AsSpan(y * width * c));
        return crop;
    }

    private static byte[] SwapRedBlue(byte[] pixels)
    {
        var swapped = (byte[])pixels.Clone();
        for (int i = 0; i < swapped.Length; i += 3)
            (swapped[i], swapped[i + 2]) = (swapped[i + 2], swapped[i]);
        return swapped;
    }

    private void Check(List<string> failures, string what, Difference d, string note = "")
    {
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{what,-60} within ±1 {d.WithinOne:P4}  exact {d.Exact:P3}  max |Δ| {d.Max} {note}").TrimEnd();
        output.WriteLine(line);
        if (d.WithinOne < Required)
            failures.Add(line);
    }

    /// <summary>How two 8-bit images of the same size differ: the fractions of values within one and equal, and the largest difference.</summary>
    private readonly record struct Difference(double WithinOne, double Exact, int Max)
    {
        public static Difference Of(byte[] expected, byte[] actual)
        {
            Assert.Equal(expected.Length, actual.Length);
            long within = 0, exact = 0;
            int max = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                int d = Math.Abs(expected[i] - actual[i]);
                within += d <= 1 ? 1 : 0;
                exact += d == 0 ? 1 : 0;
                max = Math.Max(max, d);
            }
            return new Difference((double)within / expected.Length, (double)exact / expected.Length, max);
        }
    }
}
