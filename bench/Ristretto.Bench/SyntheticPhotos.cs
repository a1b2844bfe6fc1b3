using Ristretto.Data;
using Ristretto.Data.Images;
using Ristretto.Engine;

namespace Ristretto.Bench;

/// <summary>
/// Writes a flat folder of distinct colour JPEGs that cost what photographs cost to decode: each file is a seeded smooth
/// gradient with a low-frequency ripple, a few filled discs and rectangles, and per-pixel noise, encoded at quality 90
/// (≈ 30–80 KB at 500×375, where ImageNet's photographs average ≈ 110 KB).
/// </summary>
internal static class SyntheticPhotos
{
    /// <summary>Writes <paramref name="count"/> images of <paramref name="width"/>×<paramref name="height"/> into <paramref name="folder"/>; returns their total bytes.</summary>
    public static long Write(string folder, int count, int width = 500, int height = 375)
    {
        Directory.CreateDirectory(folder);
        long total = 0;
        Parallel.For(0, count, i =>
        {
            var bytes = ImageCodec.Encode(new DecodedImage(Pixels((ulong)i + 1, width, height), height, width, 3, ChannelOrder.Rgb), ".jpg", 90);
            File.WriteAllBytes(Path.Combine(folder, $"img{i:D5}.jpg"), bytes);
            Interlocked.Add(ref total, bytes.Length);
        });
        return total;
    }

    /// <summary>The RGB (HWC) pixels of image <paramref name="seed"/>.</summary>
    private static byte[] Pixels(ulong seed, int width, int height)
    {
        var rng = new SplitMix64(seed * 0x9E3779B97F4A7C15UL);
        var pixels = new float[height * width * 3];
        for (int c = 0; c < 3; c++)
        {
            double a = rng.NextDouble() * 255, gx = (rng.NextDouble() - 0.5) * 0.6, gy = (rng.NextDouble() - 0.5) * 0.6;
            double amp = 20 + rng.NextDouble() * 30, fx = rng.NextDouble() * 0.05, fy = rng.NextDouble() * 0.05, phase = rng.NextDouble() * 6.3;
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    pixels[(y * width + x) * 3 + c] = (float)(a + gx * x + gy * y + amp * Math.Sin(fx * x + fy * y + phase));
        }
        int shapes = 4 + rng.NextInt(8);
        for (int s = 0; s < shapes; s++)
        {
            int cx = rng.NextInt(width), cy = rng.NextInt(height), r = 10 + rng.NextInt(80);
            bool disc = rng.NextInt(2) == 0;
            float[] colour = [rng.NextInt(256), rng.NextInt(256), rng.NextInt(256)];
            for (int y = Math.Max(0, cy - r); y < Math.Min(height, cy + r); y++)
                for (int x = Math.Max(0, cx - r); x < Math.Min(width, cx + r); x++)
                {
                    if (disc && (x - cx) * (x - cx) + (y - cy) * (y - cy) > r * r)
                        continue;
                    for (int c = 0; c < 3; c++)
                        pixels[(y * width + x) * 3 + c] = colour[c] + (x - cx) * 0.3f;
                }
        }
        double noise = 20 + rng.NextDouble() * 16;
        var bytes = new byte[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
            bytes[i] = (byte)Math.Clamp(pixels[i] + (rng.NextDouble() - 0.5) * noise, 0, 255);
        return bytes;
    }
}
