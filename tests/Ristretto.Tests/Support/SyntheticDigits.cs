using Ristretto.Data;
using Ristretto.Data.Sources;
using Ristretto.Engine;

namespace Ristretto.Tests.Support;

/// <summary>
/// Small learnable 28×28 image sets made by the tests: class c is a bright 4-pixel-wide bar at a
/// class-specific position and orientation, with seeded noise on the bar and a background of exact
/// zeros, as in MNIST (libtorch's oneDNN bug on Zen 5 showed up with such images, not with noisy ones).
/// Written as MNIST-named IDX files.
/// </summary>
internal static class SyntheticDigits
{
    public const int Size = 28;

    public static ImageSet Create(int count, int classes = 10, ulong seed = 7)
    {
        var rng = new SplitMix64(seed);
        var pixels = new byte[count * Size * Size];
        var labels = new byte[count];
        for (int n = 0; n < count; n++)
        {
            int c = rng.NextInt(classes);
            labels[n] = (byte)c;
            bool vertical = c % 2 == 0;
            int offset = 2 + (c / 2) * 5 + rng.NextInt(2);
            for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                int along = vertical ? x : y;
                bool bar = along >= offset && along < offset + 4;
                int v = bar ? 200 + rng.NextInt(56) : 0;
                pixels[n * Size * Size + y * Size + x] = (byte)Math.Min(255, v);
            }
        }
        return new ImageSet("synthetic", pixels, labels, Size, Size);
    }

    /// <summary>Writes train and test sets as the four MNIST-named IDX files into a new temp folder.</summary>
    public static TempDir WriteDataset(int train = 512, int test = 200)
    {
        var dir = new TempDir();
        Write(dir.Path, DatasetFiles.TrainImages, DatasetFiles.TrainLabels, Create(train, seed: 7));
        Write(dir.Path, DatasetFiles.TestImages, DatasetFiles.TestLabels, Create(test, seed: 8));
        return dir;
    }

    private static void Write(string dir, string images, string labels, ImageSet set)
    {
        File.WriteAllBytes(System.IO.Path.Combine(dir, images), IdxFile.Encode([set.Count, set.Height, set.Width], set.Pixels));
        File.WriteAllBytes(System.IO.Path.Combine(dir, labels), IdxFile.Encode([set.Count], set.Labels));
    }
}
