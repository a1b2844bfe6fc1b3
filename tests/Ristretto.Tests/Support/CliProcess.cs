using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Ristretto.Tests.Support;

/// <summary>Runs the real CLI (Ristretto.Cli.dll beside the tests) as a child process.</summary>
internal static class CliProcess
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string[] ErrorLines => StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public static Result Run(IEnumerable<string> args, IDictionary<string, string>? env = null, int timeoutSeconds = 300)
    {
        string dll = System.IO.Path.Combine(AppContext.BaseDirectory, "Ristretto.Cli.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true"; // plain progress lines, no live rendering
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"ristretto {string.Join(' ', args)} ran past {timeoutSeconds} s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>One step of a long end-to-end test: runs the CLI (up to an hour), writes the step's wall time to
    /// <paramref name="output"/> and asserts it succeeded, naming the step and quoting its standard error.</summary>
    public static void Step(ITestOutputHelper output, string step, string[] args)
    {
        var watch = Stopwatch.StartNew();
        var r = Run(args, timeoutSeconds: 3600);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{step}: {watch.Elapsed.TotalSeconds:F0} s"));
        Assert.True(r.ExitCode == 0, $"{step} failed: {r.StdErr}");
    }
}
