using Ristretto.Data.Images;

namespace Ristretto.Tests.Data.Images;

/// <summary>
/// The malformed-image corpus (malformed/, made by make_malformed.py beside it: truncated files, wrong magic numbers,
/// absurd and zero dimensions in JPEG, PNG, BMP, PNM, TIFF and WebP headers) goes through OpenCV's native decoders, which
/// the managed fuzzing campaign cannot reach: each file must be refused with one <see cref="RistrettoException"/> line
/// naming it, quickly and without a multi-gigabyte allocation.
/// </summary>
public class MalformedImageTests
{
    private static readonly string Folder = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ristretto.sln")))
                return Path.Combine(dir.FullName, "tests", "Ristretto.Tests", "Data", "Images", "malformed");
        throw new DirectoryNotFoundException("Ristretto.sln not found above the test output");
    }

    /// <summary>Every corpus file (not the script).</summary>
    public static TheoryData<string> Files() =>
        new(Directory.GetFiles(Folder).Select(Path.GetFileName).Where(n => !n!.EndsWith(".py", StringComparison.Ordinal)).Order(StringComparer.Ordinal)!);

    [Fact]
    public void Should_Have_The_Whole_Corpus()
    {
        Assert.True(Files().Count >= 25, $"{Folder} holds {Files().Count} files; run make_malformed.py");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Should_Refuse_Each_Malformed_Image_In_One_Line(string file)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Folder, file));
        foreach (int channels in new[] { 3, 1 })
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var e = Assert.Throws<RistrettoException>(() => ImageCodec.Decode(bytes, channels, file));
            Assert.DoesNotContain('\n', e.Message);
            Assert.Contains(file, e.Message);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{file}: {clock.Elapsed.TotalSeconds:F1} s to refuse");
        }
    }
}
