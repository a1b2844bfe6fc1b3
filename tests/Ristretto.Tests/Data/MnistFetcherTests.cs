using Ristretto.Data;
using Ristretto.Data.Sources;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Data;

public class MnistFetcherTests
{
    [Fact]
    public void Should_Report_A_Missing_Cache_As_Incomplete()
    {
        using var dir = new TempDir();
        Assert.False(MnistFetcher.IsComplete(dir.File("none"), out _));
        Assert.False(MnistFetcher.IsComplete(dir.Path, out var problem));
        Assert.Contains("missing", problem);
    }

    [Fact]
    public void Should_Detect_A_Corrupted_File_By_Its_Checksum()
    {
        using var dir = new TempDir();
        foreach (var name in DatasetFiles.Names)
            File.WriteAllBytes(dir.File(name), IdxFile.Encode([1], [0]));
        Assert.False(MnistFetcher.IsComplete(dir.Path, out var problem));
        Assert.Contains("SHA-256", problem);
    }

    [MnistCachedFact]
    public void Should_Hash_Again_A_File_That_Changed_After_Its_Check_Was_Stamped()
    {
        using var dir = new TempDir();
        foreach (var name in DatasetFiles.Names)
            File.Copy(Path.Combine(MnistCachedFactAttribute.Folder, name), dir.File(name));
        Assert.True(MnistFetcher.IsComplete(dir.Path, out _));
        Assert.True(File.Exists(dir.File(MnistFetcher.VerifiedStamp)));
        Assert.True(MnistFetcher.IsComplete(dir.Path, out _));
        // Same length, one byte changed, a later modification time: the stamp no longer matches and the hash catches it.
        var bytes = File.ReadAllBytes(dir.File(DatasetFiles.TestLabels));
        bytes[^1] ^= 1;
        File.WriteAllBytes(dir.File(DatasetFiles.TestLabels), bytes);
        File.SetLastWriteTimeUtc(dir.File(DatasetFiles.TestLabels), DateTime.UtcNow.AddSeconds(5));
        Assert.False(MnistFetcher.IsComplete(dir.Path, out var problem));
        Assert.Contains("SHA-256", problem);
    }
}
