using Ristretto.Data;
using Ristretto.Data.Sources;
using Ristretto.Engine;

namespace Ristretto.Tests.Support;

/// <summary>
/// A learnable but not trivial 10-class colour task written as a CIFAR-10 binary folder: class = shape (disc, square,
/// triangle, cross, ring) × colour family (warm: hue around red, cool: hue around cyan). Every image draws from a seeded
/// stream its shape's radius (7.5 to 13 pixels), centre (up to 40 % of the shape may leave the frame) and rotation, a
/// foreground colour whose hue lies within 95° of its family's centre (so the families overlap by 10° at each
/// boundary), a dull background colour with a linear shade, and per-pixel Gaussian noise; edges are anti-aliased
/// (4 samples a pixel). Cut-off, low-contrast or boundary-hue shapes are ambiguous, so the zoo <c>cifar10</c> net
/// reaches about 87 % in 1,000 iterations, not 100 %, and 4-bit quantization hurts.
/// </summary>
internal static class ColouredShapes
{
    public const int Size = 32;

    /// <summary>The class names in label order, as written to <c>batches.meta.txt</c>.</summary>
    public static readonly string[] ClassNames =
        ["warm disc", "warm square", "warm triangle", "warm cross", "warm ring", "cool disc", "cool square", "cool triangle", "cool cross", "cool ring"];

    /// <summary>Writes <c>data_batch_1..5.bin</c> (<paramref name="trainPerBatch"/> records each), <c>test_batch.bin</c> and <c>batches.meta.txt</c> into <paramref name="folder"/>.</summary>
    public static void WriteCifar10(string folder, int trainPerBatch = 1000, int test = 1000, ulong seed = 11)
    {
        Directory.CreateDirectory(folder);
        for (int b = 1; b <= 5; b++)
            CifarSource.WriteCifar10(System.IO.Path.Combine(folder, $"data_batch_{b}.bin"), Create(trainPerBatch, seed + (ulong)b));
        CifarSource.WriteCifar10(System.IO.Path.Combine(folder, "test_batch.bin"), Create(test, seed + 100));
        File.WriteAllLines(System.IO.Path.Combine(folder, "batches.meta.txt"), ClassNames);
    }

    /// <summary>Draws <paramref name="count"/> records (labels balanced in expectation) from <paramref name="seed"/>.</summary>
    public static List<(byte Label, byte[] PlanarRgb)> Create(int count, ulong seed)
    {
        var rng = new SplitMix64(seed);
        var records = new List<(byte, byte[])>(count);
        for (int n = 0; n < count; n++)
        {
            int label = rng.NextInt(10);
            records.Add(((byte)label, Draw(label % 5, label / 5, ref rng)));
        }
        return records;
    }

    private static byte[] Draw(int shape, int family, ref SplitMix64 rng)
    {
        double r = 7.5 + 5.5 * rng.NextDouble();
        double cx = r * 0.6 + (Size - 1.2 * r) * rng.NextDouble();
        double cy = r * 0.6 + (Size - 1.2 * r) * rng.NextDouble();
        double angle = 2 * Math.PI * rng.NextDouble();
        double hue = (family == 0 ? 0 : 180) + 95 * (2 * rng.NextDouble() - 1);
        var fg = Hsv(hue, 0.5 + 0.5 * rng.NextDouble(), 0.45 + 0.55 * rng.NextDouble());
        var bg = Hsv(360 * rng.NextDouble(), 0.35 * rng.NextDouble(), 0.1 + 0.8 * rng.NextDouble());
        double shadeX = 0.3 * (2 * rng.NextDouble() - 1), shadeY = 0.3 * (2 * rng.NextDouble() - 1);
        double noise = 3 + 9 * rng.NextDouble();
        double cos = Math.Cos(angle), sin = Math.Sin(angle);
        var image = new byte[3 * Size * Size];
        for (int y = 0; y < Size; y++)
        for (int x = 0; x < Size; x++)
        {
            int inside = 0;
            for (int s = 0; s < 4; s++)
            {
                double px = x + 0.25 + 0.5 * (s & 1) - cx, py = y + 0.25 + 0.5 * (s >> 1) - cy;
                double u = (cos * px + sin * py) / r, v = (-sin * px + cos * py) / r;
                if (Inside(shape, u, v))
                    inside++;
            }
            double cover = inside / 4.0;
            double shade = 1 + shadeX * (x / (Size - 1.0) - 0.5) + shadeY * (y / (Size - 1.0) - 0.5);
            for (int c = 0; c < 3; c++)
            {
                double value = 255 * (cover * fg[c] + (1 - cover) * bg[c] * shade) + noise * Gaussian(ref rng);
                image[c * Size * Size + y * Size + x] = (byte)Math.Clamp(Math.Round(value), 0, 255);
            }
        }
        return image;
    }

    /// <summary>Whether the point (u, v), in units of the shape's radius around its centre, lies inside the shape.</summary>
    private static bool Inside(int shape, double u, double v)
    {
        double d2 = u * u + v * v;
        return shape switch
        {
            0 => d2 <= 1,
            1 => Math.Abs(u) <= 0.8 && Math.Abs(v) <= 0.8,
            2 => v <= 0.5 && v >= Math.Sqrt(3) * Math.Abs(u) - 1, // equilateral, circumradius 1
            3 => (Math.Abs(u) <= 0.3 && Math.Abs(v) <= 1) || (Math.Abs(v) <= 0.3 && Math.Abs(u) <= 1),
            _ => d2 <= 1 && d2 >= 0.5 * 0.5,
        };
    }

    private static double[] Hsv(double hue, double saturation, double value)
    {
        hue = ((hue % 360) + 360) % 360 / 60;
        double chroma = value * saturation, x = chroma * (1 - Math.Abs(hue % 2 - 1)), m = value - chroma;
        var (r, g, b) = (int)hue switch
        {
            0 => (chroma, x, 0.0),
            1 => (x, chroma, 0.0),
            2 => (0.0, chroma, x),
            3 => (0.0, x, chroma),
            4 => (x, 0.0, chroma),
            _ => (chroma, 0.0, x),
        };
        return [r + m, g + m, b + m];
    }

    private static double Gaussian(ref SplitMix64 rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
