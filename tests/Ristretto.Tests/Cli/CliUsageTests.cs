using System.Reflection;
using System.Text.RegularExpressions;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Cli;

/// <summary>The command names itself <c>ristretto</c> (its dotnet tool command) however it is started, and prints its version.</summary>
[Collection("cli")]
public class CliUsageTests
{
    [Theory]
    [InlineData(new string[] { "--help" }, "ristretto [command] [options]")]
    [InlineData(new string[] { "inspect", "--help" }, "ristretto inspect [options]")]
    public void Should_Say_Ristretto_In_The_Usage_Line(string[] args, string usage)
    {
        var r = CliProcess.Run(args);
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(new Regex(@"^Usage:\s*\n\s+" + Regex.Escape(usage) + @"\s*$", RegexOptions.Multiline), r.StdOut);
        Assert.DoesNotContain("Ristretto.Cli", r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Print_The_Package_Version()
    {
        var r = CliProcess.Run(["--version"]);
        Assert.Equal(0, r.ExitCode);
        string version = typeof(Ristretto.Cli.Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", version); // no +commit suffix
        Assert.Equal(version, r.StdOut.Trim());
    }
}
