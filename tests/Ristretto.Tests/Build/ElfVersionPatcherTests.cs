using Ristretto.Build;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Build;

public class ElfVersionPatcherTests
{
    private const string Version = "GLIBCXX_3.4.32";

    private static string NuGetCopy()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    private static string OutputCopy() =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    internal static bool SystemHasVersion() =>
        new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .Where(File.Exists).Take(1).Any(p => ElfVersionPatcher.FileMentionsVersion(p, Version));

    [Fact]
    public void Should_Mark_The_Requirement_Weak_And_Change_Only_Its_Flags()
    {
        byte[] original = File.ReadAllBytes(NuGetCopy());
        byte[] patched = (byte[])original.Clone();

        Assert.Equal(ElfVersionPatcher.Result.Patched, ElfVersionPatcher.MarkWeak(patched, Version));

        Assert.True(ElfVersionPatcher.IsWeak(patched, Version));
        int changed = original.Zip(patched).Count(p => p.First != p.Second);
        Assert.Equal(1, changed); // VER_FLG_WEAK is one bit of the low flags byte
        Assert.Equal(ElfVersionPatcher.Result.AlreadyWeak, ElfVersionPatcher.MarkWeak(patched, Version));
    }

    [Fact]
    public void Should_Leave_Other_Requirements_Strong()
    {
        byte[] patched = File.ReadAllBytes(NuGetCopy());
        ElfVersionPatcher.MarkWeak(patched, Version);
        Assert.False(ElfVersionPatcher.IsWeak(patched, "GLIBCXX_3.4.30"));
        Assert.Equal(ElfVersionPatcher.Result.NotRequired, ElfVersionPatcher.MarkWeak(patched, "GLIBCXX_9.9.99"));
    }

    [Fact]
    public void Should_Leave_The_NuGet_Cache_Copy_Untouched()
    {
        Assert.False(ElfVersionPatcher.IsWeak(File.ReadAllBytes(NuGetCopy()), Version));
    }

    [Fact]
    public void Should_Have_Patched_The_Build_Output_Copy_Only_Where_The_System_Lacks_The_Version()
    {
        bool weak = ElfVersionPatcher.IsWeak(File.ReadAllBytes(OutputCopy()), Version);
        Assert.Equal(!SystemHasVersion(), weak);
    }

    [Fact]
    public void Should_Rewrite_A_File_In_Place_Through_A_Rename()
    {
        using var dir = new TempDir();
        string copy = dir.File("libLibTorchSharp.so");
        File.Copy(NuGetCopy(), copy);
        Assert.Equal(ElfVersionPatcher.Result.Patched, ElfVersionPatcher.MarkWeak(copy, Version));
        Assert.True(ElfVersionPatcher.IsWeak(File.ReadAllBytes(copy), Version));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Should_Reject_A_File_That_Is_Not_Elf()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.MarkWeak(new byte[128], Version));
    }
}
