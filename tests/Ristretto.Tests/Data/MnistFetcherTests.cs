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
}
