using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Ristretto.ScaleOut;

/// <summary>The launcher of each <see cref="LauncherKind"/>, and what they share: the worker command and child processes.</summary>
public static class TrialLaunchers
{
    /// <summary>The launcher <paramref name="settings"/> asks for over <paramref name="folder"/>.</summary>
    public static ITrialLauncher Create(ScaleOutSettings settings, WorkFolder folder)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(folder);
        return settings.Launcher switch
        {
            LauncherKind.Slurm => new SlurmLauncher(settings),
            LauncherKind.Kubernetes => new KubernetesLauncher(settings),
            _ => new LocalPool(settings),
        };
    }

    /// <summary>
    /// The command that started this process: the program, and the entry assembly after it when the program is the
    /// dotnet host (<c>dotnet ristretto.dll</c>); a published single-file <c>ristretto</c> alone.
    /// </summary>
    public static IReadOnlyList<string> ThisCommand()
    {
        string program = Environment.ProcessPath ?? "ristretto";
        if (Path.GetFileNameWithoutExtension(program) == "dotnet" && Assembly.GetEntryAssembly()?.Location is { Length: > 0 } entry)
            return [program, entry];
        return [program];
    }

    /// <summary>Quotes <paramref name="word"/> for a POSIX shell.</summary>
    public static string ShellQuote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+:=,@%".Contains(c)) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>Runs a scheduler's command line tool and returns its exit code and output; a tool not on PATH is one error.</summary>
    internal static (int Exit, string Out, string Err) Tool(string program, IEnumerable<string> args, string purpose)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output, err.Result);
        }
        catch (Win32Exception e)
        {
            throw new RistrettoException($"{purpose}: cannot run {program} ({e.Message}); is it on PATH?", e);
        }
    }

    /// <summary>Waits <paramref name="seconds"/> unless cancelled.</summary>
    internal static void Sleep(double seconds, CancellationToken cancel) => cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(seconds));

    /// <summary>"k/N trials have results" when it changed since <paramref name="last"/>.</summary>
    internal static void ReportDone(TrialBatch batch, ref int last, Action<string> log)
    {
        int done = Enumerable.Range(batch.First, batch.Count).Count(batch.Folder.HasResult);
        if (done != last)
            log($"round {batch.Round}: {done}/{batch.Count} trials have results");
        last = done;
    }

    /// <summary>The trial verb's arguments for one index given by a shell expression.</summary>
    internal static string TrialCommandLine(IReadOnlyList<string> command, string folder, string indexExpression, string? device)
    {
        var sb = new StringBuilder(string.Join(' ', command.Select(ShellQuote)));
        sb.Append(" trial --work ").Append(ShellQuote(folder)).Append(" --index ").Append(indexExpression);
        if (device is not null and not "auto")
            sb.Append(" --device ").Append(ShellQuote(device));
        return sb.ToString();
    }
}
