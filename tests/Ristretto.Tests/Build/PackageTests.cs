using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Ristretto.Build;
using Ristretto.Tests.Support;
using Xunit.Abstractions;

namespace Ristretto.Tests.Build;

/// <summary>
/// The NuGet packages as a user gets them (docs/packaging.md): packed into a local feed, the tool installed with
/// <c>--tool-path</c> and run, an application built on the library package. Opt-in: <c>RISTRETTO_PACK_TESTS=1</c>.
/// </summary>
public class PackageTests(PackagedFeed feed, ITestOutputHelper output) : IClassFixture<PackagedFeed>
{
    private const string Glibcxx = "GLIBCXX_3.4.32";
    private const string ToolNative = "tools/net10.0/any/runtimes/linux-x64/native/libLibTorchSharp.so";

    private static XElement Nuspec(string package, string id)
    {
        var doc = Xml(package, id + ".nuspec");
        return doc.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    /// <summary>An XML entry of a package (NuGet writes a byte-order mark, which XDocument.Load reads).</summary>
    private static XDocument Xml(string package, string entry) => XDocument.Load(new MemoryStream(PackagedFeed.ReadEntry(package, entry)));

    private static string? Field(XElement metadata, string name) =>
        metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    [PackFact]
    public void Should_Pack_The_Libraries_With_Readme_Licence_Xml_Docs_And_Symbols()
    {
        foreach (var id in new[] { "Ristretto.Formats", "Ristretto" })
        {
            string nupkg = feed.Package(id);
            output.WriteLine($"{Path.GetFileName(nupkg)}: {new FileInfo(nupkg).Length / 1e6:F1} MB (packed in {feed.PackSeconds:F0} s)");
            var meta = Nuspec(nupkg, id);
            Assert.Equal(id, Field(meta, "id"));
            Assert.Equal(PackagedFeed.Version, Field(meta, "version"));
            Assert.Equal("BSD-2-Clause", Field(meta, "license"));
            Assert.Equal("README.md", Field(meta, "readme"));
            Assert.False(string.IsNullOrWhiteSpace(Field(meta, "description")));
            var entries = PackagedFeed.Entries(nupkg);
            Assert.Contains("README.md", entries);
            Assert.Contains($"lib/net10.0/{id}.dll", entries);
            Assert.Contains($"lib/net10.0/{id}.xml", entries);
            Assert.StartsWith($"# {id}", Encoding.UTF8.GetString(PackagedFeed.ReadEntry(nupkg, "README.md")), StringComparison.Ordinal);
            Assert.Contains($"lib/net10.0/{id}.pdb", PackagedFeed.Entries(feed.Package(id, "snupkg")));
        }
        // The libLibTorchSharp.so fix travels with the library, for applications built on it.
        var ristretto = PackagedFeed.Entries(feed.Package("Ristretto"));
        Assert.Contains("buildTransitive/Ristretto.targets", ristretto);
        Assert.Contains("buildTransitive/ElfVersionPatcher.cs", ristretto);
        var dependencies = Nuspec(feed.Package("Ristretto"), "Ristretto").Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(e => e.Attribute("id")!.Value).ToArray();
        Assert.Contains("Ristretto.Formats", dependencies);
        Assert.Contains("TorchSharp-cpu", dependencies);
    }

    [PackFact]
    public void Should_Pack_The_Tool_With_A_Weak_Glibcxx_Requirement_And_Only_Linux_X64_Natives()
    {
        string nupkg = feed.Package("Ristretto.Cli");
        output.WriteLine($"{Path.GetFileName(nupkg)}: {new FileInfo(nupkg).Length / 1e6:F0} MB (packed in {feed.PackSeconds:F0} s)");
        var meta = Nuspec(nupkg, "Ristretto.Cli");
        Assert.Equal(PackagedFeed.Version, Field(meta, "version"));
        Assert.Equal("BSD-2-Clause", Field(meta, "license"));
        Assert.Contains(meta.Descendants(), e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "DotnetTool");
        var settings = Xml(nupkg, "tools/net10.0/any/DotnetToolSettings.xml");
        Assert.Equal("ristretto", settings.Descendants("Command").Single().Attribute("Name")!.Value);

        // Patched whatever the packing machine's libstdc++ has: the installed tool runs no MSBuild.
        Assert.True(ElfVersionPatcher.IsWeak(PackagedFeed.ReadEntry(nupkg, ToolNative), Glibcxx), $"{ToolNative} still requires {Glibcxx}");
        var runtimes = PackagedFeed.Entries(nupkg).Where(e => e.Contains("/runtimes/", StringComparison.Ordinal))
            .Select(e => e.Split("/runtimes/")[1].Split('/')[0]).Distinct().ToArray();
        Assert.Equal(["linux-x64"], runtimes);
    }

    [PackFact]
    public void Should_Install_The_Tool_With_Tool_Path_And_Run_Help_Version_And_Inspect()
    {
        string tools = feed.Scratch("tools");
        var env = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = feed.Scratch("tool-restore") };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        PackagedFeed.Dotnet(["tool", "install", "Ristretto.Cli", "--version", PackagedFeed.Version, "--tool-path", tools,
            "--configfile", feed.NuGetConfig], feed.Scratch("install"), env);
        output.WriteLine($"packed in {feed.PackSeconds:F0} s, installed in {clock.Elapsed.TotalSeconds:F0} s");
        string ristretto = Path.Combine(tools, "ristretto");
        Assert.True(File.Exists(ristretto), $"no {ristretto} after dotnet tool install");

        // The installed copy of libLibTorchSharp.so is the package's: weak on any machine.
        var installed = Directory.GetFiles(Path.Combine(tools, ".store"), "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.NotEmpty(installed);
        Assert.All(installed, p => Assert.True(ElfVersionPatcher.IsWeak(File.ReadAllBytes(p), Glibcxx), p));

        var runEnv = new Dictionary<string, string?> { ["DOTNET_ROOT"] = DotnetRoot(), ["CI"] = "true" };
        var help = ChildProcess.Run(ristretto, ["--help"], env: runEnv, timeoutSeconds: 120);
        Assert.True(help.ExitCode == 0, help.Output);
        Assert.Matches(new Regex(@"^Usage:\s*\n\s+ristretto \[command\] \[options\]", RegexOptions.Multiline), help.StdOut);
        Assert.DoesNotContain("Ristretto.Cli", help.StdOut, StringComparison.Ordinal);

        var version = ChildProcess.Run(ristretto, ["--version"], env: runEnv, timeoutSeconds: 120);
        Assert.True(version.ExitCode == 0, version.Output);
        Assert.Equal(PackagedFeed.Version, version.StdOut.Trim());

        // The zoo LeNet runs through libtorch: the native libraries load from the installed layout.
        var inspect = ChildProcess.Run(ristretto, ["inspect", "--model", "lenet"], env: runEnv, timeoutSeconds: 300);
        output.WriteLine(inspect.StdOut);
        Assert.True(inspect.ExitCode == 0, inspect.Output);
        Assert.Matches(new Regex(@"^ip2\s+InnerProduct\s+1×10\s+5,010\s+5,000", RegexOptions.Multiline), inspect.StdOut);
        Assert.Matches(new Regex(@"^total\s+431,080\s+2,293,000", RegexOptions.Multiline), inspect.StdOut);
    }

    [PackFact]
    public void Should_Build_And_Run_An_Application_On_The_Library_Package()
    {
        string app = feed.Scratch("app");
        File.Copy(feed.NuGetConfig, Path.Combine(app, "nuget.config"));
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Ristretto" Version="{PackagedFeed.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Ristretto.Formats;
            using Ristretto.Zoo;
            var format = new DynamicFixedPoint(8, 5);
            Console.WriteLine($"{format} {format.Quantize(1.23456)}");
            using var net = LeNet.Build();
            Console.WriteLine($"{net.Name}: {net.parameters().Sum(p => p.numel())} parameters");
            """);
        // Restored into a scratch folder (outside the project, whose **/*.cs would take buildTransitive/*.cs in), with
        // the machine's folder as fallback: the same version packed twice never goes stale in the machine's cache.
        var env = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = feed.Scratch("app-restore") };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        PackagedFeed.Dotnet(["build", "-c", "Release", "--disable-build-servers", "-nologo"], app, env);
        output.WriteLine($"built in {clock.Elapsed.TotalSeconds:F0} s");

        string bin = Path.Combine(app, "bin", "Release", "net10.0");
        var run = PackagedFeed.Dotnet([Path.Combine(bin, "App.dll")], app, timeoutSeconds: 120);
        Assert.Equal(["dfp(bw=8, fl=5) 1.25", "lenet: 431080 parameters"], run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        // buildTransitive/Ristretto.targets patched the application's copy exactly where this system needs it.
        bool weak = ElfVersionPatcher.IsWeak(File.ReadAllBytes(Path.Combine(bin, "runtimes", "linux-x64", "native", "libLibTorchSharp.so")), Glibcxx);
        Assert.Equal(!ElfVersionPatcherTests.SystemHasVersion(), weak);
    }

    /// <summary>The folder of the dotnet running these tests, for the tool's apphost.</summary>
    private static string? DotnetRoot() =>
        Environment.GetEnvironmentVariable("DOTNET_ROOT")
        ?? (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Path.GetDirectoryName(Environment.ProcessPath) : null);
}
