using Ristretto.Data;
using Ristretto.Data.Images;
using Ristretto.Data.Sources;
using Ristretto.Engine;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Tests.Support;
using static TorchSharp.torch;

namespace Ristretto.Tests.Data;

/// <summary>Bad data is one error that names what is wrong and where.</summary>
public sealed class DataSourceErrorTests
{
    private static byte[] Png(int h, int w, int c, byte value = 90) =>
        ImageCodec.Encode(new DecodedImage(Enumerable.Repeat(value, h * w * c).ToArray(), h, w, c, ChannelOrder.Rgb), ".png");

    private static string Error(Action action) => Assert.Throws<RistrettoException>(action).Message;

    [Fact]
    public void Should_Name_A_Missing_Folder_And_An_Empty_Class_Folder()
    {
        Assert.Contains("no such file or folder", Error(() => DataSource.Open("/no/such/folder")));
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "cats"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "dogs"));
        File.WriteAllBytes(Path.Combine(dir.Path, "dogs", "a.png"), Png(4, 4, 3));
        string e = Error(() => DataSource.Open(dir.Path));
        Assert.Contains("cats", e);
        Assert.Contains("no images", e);
    }

    [Fact]
    public void Should_Name_A_Truncated_Image_Or_Skip_It_When_Asked()
    {
        using var dir = new TempDir();
        var jpeg = ImageCodec.Encode(new DecodedImage(Enumerable.Range(0, 32 * 32 * 3).Select(i => (byte)i).ToArray(), 32, 32, 3, ChannelOrder.Rgb), ".jpg");
        File.WriteAllBytes(dir.File("a.jpg"), jpeg);
        File.WriteAllBytes(dir.File("b.jpg"), jpeg[..(jpeg.Length / 2)]);
        File.WriteAllBytes(dir.File("c.png"), Png(32, 32, 3)[..40]);
        using var source = ImageFileSource.FromFlatFolder(dir.Path);
        Assert.Contains("b.jpg", Error(() => source.Read(1, 3)));
        Assert.Contains("truncated", Error(() => source.Read(1, 3)));
        Assert.Contains("c.png", Error(() => source.Read(2, 3)));
        using (var set = new StreamingImageSet(source, Preprocessing.None, [3, 32, 32], CPU, ownsSource: false))
            Assert.Contains("b.jpg", Error(() => set.Slice(0, 3)));
        var warnings = new List<string>();
        using var skipping = new StreamingImageSet(source, Preprocessing.None, [3, 32, 32], CPU,
            new StreamingOptions { SkipBadImages = true, Warn = warnings.Add }, ownsSource: false);
        var (x, _) = skipping.Slice(0, 3);
        Assert.Equal(1, x.shape[0]);
        Assert.Equal(2, skipping.Skipped);
        Assert.Equal(2, warnings.Count);
        x.Dispose();
    }

    [Fact]
    public void Should_Refuse_A_Cifar_File_That_Is_Not_Whole_Records()
    {
        using var dir = new TempDir();
        for (int b = 1; b <= 5; b++)
            File.WriteAllBytes(dir.File($"data_batch_{b}.bin"), new byte[3073]);
        File.WriteAllBytes(dir.File("test_batch.bin"), new byte[3073 * 2 + 5]);
        string e = Error(() => DataSource.Open(dir.Path));
        Assert.Contains("test_batch.bin", e);
        Assert.Contains("whole number", e);
    }

    [Fact]
    public void Should_Refuse_An_Lmdb_That_Does_Not_Hold_Datums()
    {
        using var dir = new TempDir();
        LmdbSource.Write(dir.Path, [("key1", "not a datum at all, just text"u8.ToArray())]);
        string e = Error(() => DataSource.Open(dir.Path));
        Assert.Contains("key1", e);
        Assert.Contains("not a Caffe Datum", e);
    }

    [Fact]
    public void Should_Name_Line_And_Column_Of_A_Bad_List_Line()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.png"), Png(4, 4, 1));
        File.WriteAllText(dir.File("list.txt"), "a.png 3\na.png -2\n");
        string e = Error(() => DataSource.Open(dir.File("list.txt")));
        Assert.Contains("list.txt:2:7", e);
        File.WriteAllText(dir.File("list.txt"), "a.png 3\nmissing.png 1\n");
        Assert.Contains("missing.png", Error(() => DataSource.Open(dir.File("list.txt"))));
    }

    [Fact]
    public void Should_Refuse_An_Image_Smaller_Than_The_Crop_Or_Of_Another_Size()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("small.png"), Png(20, 30, 3));
        using var source = ImageFileSource.FromFlatFolder(dir.Path);
        using (var cropped = new StreamingImageSet(source, Preprocessing.None with { Crop = [24, 24] }, [3, 24, 24], CPU, ownsSource: false))
            Assert.Contains("smaller than", Error(() => cropped.Slice(0, 1)));
        using var plain = new StreamingImageSet(source, Preprocessing.None, [3, 24, 24], CPU, ownsSource: false);
        Assert.Contains("--resize", Error(() => plain.Slice(0, 1)));
    }

    [Fact]
    public void Should_Calibrate_A_One_Split_Source_On_Images_It_Does_Not_Evaluate()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 30; i++)
            File.WriteAllBytes(dir.File($"{i:D2}.png"), Png(8, 8, 3, (byte)i));
        var notes = new List<string>();
        using var job = JobData.Open(new DataSettings { Data = dir.Path, Images = 10, CalibrationImages = 12 }, [1, 3, 8, 8], CPU,
            eval: true, train: false, calibration: true, log: notes.Add);
        Assert.Equal(10, job.Eval!.Count);
        Assert.Equal(12, job.Calibration!.Count);
        Assert.Contains(notes, n => n.Contains("disjoint", StringComparison.Ordinal));
        var (x, _) = job.Eval.Slice(0, 10);
        var (c, _) = job.Calibration.Slice(0, 12);
        var evaluated = x.mean([1, 2, 3]).data<float>().ToArray().ToHashSet();
        var calibrated = c.mean([1, 2, 3]).data<float>().ToArray();
        Assert.DoesNotContain(calibrated, evaluated.Contains);
        x.Dispose();
        c.Dispose();
        Assert.Contains("--train-data", Error(() => JobData.Open(new DataSettings { Data = dir.Path }, [1, 3, 8, 8], CPU, eval: true, train: true, calibration: false)));
    }

    [Fact]
    public void Should_Convert_Gray_And_Colour_To_What_The_Network_Takes()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("gray.png"), Png(6, 6, 1, 77));
        using var source = ImageFileSource.FromFlatFolder(dir.Path);
        var colour = source.Read(0, 3);
        Assert.Equal(3, colour.Channels);
        Assert.All(colour.Pixels, v => Assert.Equal(77, v));
    }
}

/// <summary>Training batches of a streamed set: random crops and mirrors fixed by (seed, draw), so a resumed run sees the same images.</summary>
public sealed class StreamingAugmentationTests
{
    [Fact]
    public void Should_Draw_The_Same_Crops_And_Mirrors_For_The_Same_Draw_And_Others_For_Another()
    {
        using var dir = new TempDir();
        var rng = new SplitMix64(3);
        for (int i = 0; i < 6; i++)
        {
            var pixels = new byte[40 * 40 * 3];
            for (int k = 0; k < pixels.Length; k++)
                pixels[k] = (byte)rng.NextInt(256);
            File.WriteAllBytes(dir.File($"{i}.png"), ImageCodec.Encode(new DecodedImage(pixels, 40, 40, 3, ChannelOrder.Rgb), ".png"));
        }
        var augmented = Preprocessing.None with { Crop = [32, 32], Mirror = true };
        float[] Batch(ulong seed, long draw, bool prefetch)
        {
            using var source = ImageFileSource.FromFlatFolder(dir.Path);
            using var set = new StreamingImageSet(source, augmented, [3, 32, 32], CPU, new StreamingOptions { Seed = seed, Prefetch = prefetch ? 2 : 0 }, ownsSource: false);
            long[] indices = [0, 1, 2, 3, 4, 5];
            if (prefetch)
                set.Prefetch(indices, draw);
            var (x, _) = set.Gather(indices, draw);
            var values = x.data<float>().ToArray();
            x.Dispose();
            return values;
        }
        Assert.Equal(Batch(1, 7, false), Batch(1, 7, true));
        Assert.NotEqual(Batch(1, 7, false), Batch(1, 8, false));
        Assert.NotEqual(Batch(1, 7, false), Batch(2, 7, false));
        // Evaluation (no draw) takes the center crop, unmirrored: the same every time.
        using var source = ImageFileSource.FromFlatFolder(dir.Path);
        using var eval = new StreamingImageSet(source, augmented, [3, 32, 32], CPU, ownsSource: false);
        var (a, _) = eval.Slice(0, 6);
        var centre = source.Read(0, 3);
        Assert.Equal(centre.Pixels[(4 * 40 + 4) * 3 + 1], a[0, 1, 0, 0].item<float>());
        a.Dispose();
    }
}
