using Ristretto.Data;
using Ristretto.Data.Sources;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Data;

public class IdxFileTests
{
    [Fact]
    public void Should_Round_Trip_Shape_And_Bytes()
    {
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)i).ToArray();
        var (shape, back) = IdxFile.Parse(IdxFile.Encode([2, 3, 4], data), "t");
        Assert.Equal(new[] { 2, 3, 4 }, shape);
        Assert.Equal(data, back);
    }

    [Fact]
    public void Should_Reject_A_Truncated_File_Naming_The_Sizes()
    {
        var bytes = IdxFile.Encode([10, 28, 28], new byte[10 * 28 * 28]);
        var e = Assert.Throws<RistrettoException>(() => IdxFile.Parse(bytes[..^100], "imgs"));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("imgs", e.Message);
    }

    [Fact]
    public void Should_Reject_Extra_Bytes_And_A_Wrong_Magic()
    {
        var bytes = IdxFile.Encode([4], new byte[4]);
        Assert.Contains("more than", Assert.Throws<RistrettoException>(() => IdxFile.Parse([.. bytes, 0], "x")).Message);
        bytes[0] = 0x1f;
        Assert.Contains("not an IDX file", Assert.Throws<RistrettoException>(() => IdxFile.Parse(bytes, "x")).Message);
        Assert.Contains("truncated", Assert.Throws<RistrettoException>(() => IdxFile.Parse([0, 0], "x")).Message);
    }

    [Fact]
    public void Should_Reject_Images_And_Labels_Of_Different_Counts()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("i"), IdxFile.Encode([3, 2, 2], new byte[12]));
        File.WriteAllBytes(dir.File("l"), IdxFile.Encode([2], new byte[2]));
        var e = Assert.Throws<RistrettoException>(() => ImageSet.Load(dir.File("i"), dir.File("l"), "train"));
        Assert.Contains("3 images", e.Message);
    }

    [Fact]
    public void Should_Name_The_Missing_Files_Of_A_Data_Folder()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File(DatasetFiles.TrainImages), IdxFile.Encode([1, 1, 1], new byte[1]));
        var e = Assert.Throws<RistrettoException>(() => DatasetFiles.Resolve(dir.Path));
        Assert.Contains(DatasetFiles.TestLabels, e.Message);
        Assert.DoesNotContain(DatasetFiles.TrainImages + ",", e.Message);
    }

    [Fact]
    public void Should_Read_A_Subset_From_The_File_Equal_To_The_Loaded_Set_Without_Loading_It()
    {
        using var dir = new TempDir();
        var pixels = Enumerable.Range(0, 7 * 3 * 2).Select(i => (byte)(i * 5)).ToArray();
        var labels = new byte[] { 3, 1, 4, 1, 5, 9, 2 };
        File.WriteAllBytes(dir.File("i"), IdxFile.Encode([7, 3, 2], pixels));
        File.WriteAllBytes(dir.File("l"), IdxFile.Encode([7], labels));
        var loaded = ImageSet.Load(dir.File("i"), dir.File("l"), "train");
        Assert.Equal(pixels, loaded.Pixels);
        using var source = IdxSource.Open(dir.File("i"), dir.File("l"), "train", "t (train)");
        Assert.Equal((7, 3, 2, 10), (source.Count, source.Height, source.Width, source.Classes));
        int[] pick = [0, 1, 2, 5, 3, 4, 6];
        var fromFile = source.Subset(pick, "sub");
        var fromMemory = loaded.Subset(pick, "sub");
        Assert.Equal(fromMemory.Pixels, fromFile.Pixels);
        Assert.Equal(fromMemory.Labels, fromFile.Labels);
        // The file is read when a subset is taken, not held: the whole set loads only on first use.
        File.WriteAllBytes(dir.File("i"), IdxFile.Encode([7, 3, 2], new byte[42]));
        Assert.Equal(new byte[6], source.Subset([6], "last").Pixels);
        Assert.Equal(new byte[6], source.Set.Pixels[36..]);
    }

    [Fact]
    public void Should_Reject_A_Truncated_File_On_Disk_Before_Reading_Its_Values()
    {
        using var dir = new TempDir();
        var bytes = IdxFile.Encode([10, 28, 28], new byte[10 * 28 * 28]);
        File.WriteAllBytes(dir.File("i"), bytes[..^100]);
        File.WriteAllBytes(dir.File("l"), IdxFile.Encode([10], new byte[10]));
        var e = Assert.Throws<RistrettoException>(() => IdxSource.Open(dir.File("i"), dir.File("l"), "train", "t"));
        Assert.Contains("truncated", e.Message);
        Assert.Contains(dir.File("i"), e.Message);
        Assert.Contains("does not exist", Assert.Throws<RistrettoException>(() => IdxFile.ReadHeader(dir.File("none"))).Message);
        Assert.Contains("is a folder", Assert.Throws<RistrettoException>(() => IdxFile.ReadHeader(dir.Path)).Message);
    }
}
