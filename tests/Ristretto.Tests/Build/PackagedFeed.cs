using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Build;

/// <summary>
/// The repository's packages (Ristretto.Formats, Ristretto, the Ristretto.Cli tool), packed once for the test class
/// from the build these tests run in (<c>dotnet pack --no-build</c>, same configuration) into a temporary local feed,
/// with a nuget.config that knows only that feed, plus the machine's package folder as a read-only fallback (for
/// TorchSharp and the other dependencies, which the repository's restore put there). Nothing is packed until a test
/// asks, so the skipped tests cost nothing.
/// </summary>
public sealed class PackagedFeed : IDisposable
{
    private readonly TempDir dir = new();
    private readonly Lazy<string> feed;

    public PackagedFeed() => feed = new Lazy<string>(Pack);

    /// <summary>The version every package has: the CLI assembly's, which the build gave all three projects.</summary>
    public static string Version { get; } = typeof(Ristretto.Cli.Program).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;

    /// <summary>The checkout these tests were built from (the folder holding Ristretto.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Release or Debug: the configuration of this test assembly's build (bin/CONFIG/net10.0/).</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    /// <summary>The local feed, packed on first use.</summary>
    public string Feed => feed.Value;

    /// <summary>A nuget.config with the local feed as the only source.</summary>
    public string NuGetConfig => Path.Combine(dir.Path, "nuget.config");

    /// <summary>A scratch folder outside the repository (no Directory.Build.* above it), deleted with the fixture.</summary>
    public string Scratch(string name)
    {
        string path = Path.Combine(dir.Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Seconds <c>dotnet pack</c> took.</summary>
    public double PackSeconds { get; private set; }

    /// <summary>A package file of the feed, e.g. <c>Ristretto.Cli.0.1.0.nupkg</c>.</summary>
    public string Package(string id, string extension = "nupkg") => Path.Combine(Feed, $"{id}.{Version}.{extension}");

    /// <summary>The text of one entry of a package.</summary>
    public static byte[] ReadEntry(string package, string entry)
    {
        using var zip = ZipFile.OpenRead(package);
        var e = zip.GetEntry(entry) ?? throw new InvalidOperationException($"{Path.GetFileName(package)} has no {entry}");
        using var s = e.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>The entry names of a package.</summary>
    public static string[] Entries(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return zip.Entries.Select(e => e.FullName).ToArray();
    }

    /// <summary>Runs the SDK's <c>dotnet</c> without build servers left behind; fails the test on a nonzero exit.</summary>
    internal static ChildProcess.Result Dotnet(IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? env = null, int timeoutSeconds = 600)
    {
        var r = ChildProcess.Run("dotnet", args, workingDirectory, env, timeoutSeconds);
        Assert.True(r.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited with {r.ExitCode}:\n{r.Output}");
        return r;
    }

    /// <summary>The folder NuGet restores into on this machine (NUGET_PACKAGES, else ~/.nuget/packages).</summary>
    public static string MachinePackages => Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private string Pack()
    {
        string output = Scratch("feed");
        var clock = Stopwatch.StartNew();
        Dotnet(["pack", Path.Combine(RepositoryRoot, "Ristretto.sln"), "-c", Configuration, "--no-build", "-o", output,
            "--disable-build-servers", "-nologo"], RepositoryRoot);
        PackSeconds = clock.Elapsed.TotalSeconds;
        File.WriteAllText(NuGetConfig, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="ristretto-test-feed" value="{output}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{MachinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        return output;
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Ristretto.sln")))
                return d.FullName;
        throw new InvalidOperationException($"no Ristretto.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose() => dir.Dispose();
}
