using System.Diagnostics;

namespace Ristretto.Tests.Support;

/// <summary>Runs a program to completion with its output captured; past the time limit it is killed with its children.</summary>
internal static class ChildProcess
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        /// <summary>Both streams, for assertion messages.</summary>
        public string Output => StdOut + StdErr;
    }

    public static Result Run(string file, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string?>? env = null, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory != null)
            psi.WorkingDirectory = workingDirectory;
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
            psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', args)} ran past {timeoutSeconds} s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
