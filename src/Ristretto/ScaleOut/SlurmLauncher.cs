using System.Globalization;
using System.Text;

namespace Ristretto.ScaleOut;

/// <summary>
/// <c>--launcher slurm</c>: each round is a job array written to <c>slurm/round-R.sh</c> (<c>--array=0-(N−1)%P</c>, the
/// trial index the round's first plus <c>SLURM_ARRAY_TASK_ID</c>, a GPU by <c>--gres=gpu:1</c> when trials run on
/// CUDA) and submitted with <c>sbatch</c>; the launcher polls <c>squeue</c> and the result files (so accounting may be
/// off) until the array has left the queue. Retries submit the same script for the missing task ids. Ctrl+C cancels the
/// array (<c>scancel</c>).
/// </summary>
internal sealed class SlurmLauncher(ScaleOutSettings settings) : ITrialLauncher
{
    public int Slots => settings.Parallel ?? int.MaxValue;

    public bool RetriesItself => false;

    /// <summary>The job-array script of a round.</summary>
    public static string Script(ScaleOutSettings settings, WorkFolder folder, int round, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(folder);
        string dir = folder.Folder("slurm");
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append(CultureInfo.InvariantCulture, $"# Round {round} of the search in {folder.Path}: trials {first} to {first + count - 1} (written by ristretto quantize --launcher slurm).\n");
        sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name=ristretto-r{round}\n");
        sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --array=0-{count - 1}{(settings.Parallel is { } p ? $"%{p}" : "")}\n");
        sb.Append(CultureInfo.InvariantCulture, $"#SBATCH --output={Path.Combine(dir, $"round-{round}-%a.out")}\n");
        sb.Append("#SBATCH --open-mode=append\n");
        sb.Append("#SBATCH --ntasks=1\n");
        if (settings.Device is { } device && device.StartsWith("cuda", StringComparison.Ordinal))
            sb.Append("#SBATCH --gres=gpu:1\n");
        foreach (var option in settings.SbatchOptions)
            sb.Append("#SBATCH ").Append(option).Append('\n');
        sb.Append("set -eu\n");
        sb.Append(CultureInfo.InvariantCulture, $"first={first}\n");
        sb.Append("index=$((first + SLURM_ARRAY_TASK_ID))\n");
        string? trialDevice = settings.Device is { } d && d.StartsWith("cuda", StringComparison.Ordinal) ? "cuda" : settings.Device;
        sb.Append("exec ").Append(TrialLaunchers.TrialCommandLine(settings.WorkerCommand ?? TrialLaunchers.ThisCommand(), folder.Path, "\"$index\"", trialDevice)).Append('\n');
        return sb.ToString();
    }

    public void Run(TrialBatch batch, Action<string> log, CancellationToken cancel)
    {
        string path = Path.Combine(batch.Folder.Folder("slurm"), $"round-{batch.Round}.sh");
        WorkFolder.WriteFile(path, Script(settings, batch.Folder, batch.Round, batch.First, batch.Count));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);
        if (settings.DryRun)
            throw new DryRunWritten(path, batch.Count);
        var args = new List<string> { "--parsable" };
        if (batch.Missing.Count < batch.Count)
            args.Add($"--array={string.Join(",", batch.Missing.Select(i => (i - batch.First).ToString(CultureInfo.InvariantCulture)))}{(settings.Parallel is { } p ? $"%{p}" : "")}");
        args.Add(path);
        var (exit, output, error) = TrialLaunchers.Tool("sbatch", args, "--launcher slurm");
        if (exit != 0)
            throw new RistrettoException($"--launcher slurm: sbatch {path} failed: {error.Trim().Split('\n')[0]}");
        string job = output.Trim().Split(';')[0];
        log($"round {batch.Round}: submitted job array {job} ({batch.Missing.Count} task(s)) from {path}");
        int reported = -1;
        try
        {
            while (true)
            {
                TrialLaunchers.Sleep(settings.PollSeconds, cancel);
                cancel.ThrowIfCancellationRequested();
                TrialLaunchers.ReportDone(batch, ref reported, log);
                if (batch.Missing.All(batch.Folder.HasResult))
                    return;
                var (qExit, queued, _) = TrialLaunchers.Tool("squeue", ["-h", "-j", job, "-o", "%i %T"], "--launcher slurm");
                if (qExit != 0 || queued.Trim().Length == 0)
                    return; // the array has left the queue (an id squeue no longer knows is an error exit)
            }
        }
        catch (OperationCanceledException)
        {
            TrialLaunchers.Tool("scancel", [job], "--launcher slurm");
            log($"round {batch.Round}: cancelled job array {job}");
            throw;
        }
    }

    public void Dispose()
    {
    }
}
