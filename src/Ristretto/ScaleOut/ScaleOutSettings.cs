using System.Globalization;

namespace Ristretto.ScaleOut;

/// <summary>The schedulers a search's trials can be run by.</summary>
public enum LauncherKind
{
    /// <summary>A pool of worker processes on this machine, one per device or core group.</summary>
    Local,

    /// <summary>A Slurm job array per round (sbatch, squeue).</summary>
    Slurm,

    /// <summary>A Kubernetes Indexed Job per round.</summary>
    Kubernetes,
}

/// <summary>
/// How a search's rounds are fanned out (the <c>quantize</c> verb's <c>--launcher</c>, <c>--work</c> and the options
/// that go with them). <see cref="Parse"/> reads <c>local:N</c>, <c>slurm</c> and <c>kubernetes</c>.
/// </summary>
public sealed record ScaleOutSettings
{
    /// <summary>Which scheduler runs the trials.</summary>
    public LauncherKind Launcher { get; init; } = LauncherKind.Local;

    /// <summary>The trial folder; null: a new temporary folder (deleted when the search succeeds).</summary>
    public string? Work { get; init; }

    /// <summary>Local pool size (local:N; with <see cref="WorkerDevices"/>, one worker per device).</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Local workers' devices, one worker pinned to each (cuda:0, cuda:1, …); empty: CPU core groups.</summary>
    public IReadOnlyList<string> WorkerDevices { get; init; } = [];

    /// <summary>Trials of a round run at once (Slurm's %P, Kubernetes' parallelism); null: every trial of the round.</summary>
    public int? Parallel { get; init; }

    /// <summary>How often a trial whose worker died (no result) is run again before the search stops and names it.</summary>
    public int Retries { get; init; } = 2;

    /// <summary>Write the first round's trials and the Slurm script or Kubernetes manifest, submit nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>
    /// The command that starts <c>ristretto</c> where the trials run (program and leading arguments); null: this
    /// process's own command for local and Slurm, <c>ristretto</c> in the container for Kubernetes.
    /// </summary>
    public IReadOnlyList<string>? WorkerCommand { get; init; }

    /// <summary>The device trials run on (null: the worker's default); with cuda, Slurm asks for a GPU by --gres and Kubernetes by nvidia.com/gpu.</summary>
    public string? Device { get; init; }

    /// <summary>Extra #SBATCH lines' options (e.g. --partition=gpu, --time=01:00:00).</summary>
    public IReadOnlyList<string> SbatchOptions { get; init; } = [];

    /// <summary>The container image a Kubernetes trial runs in (required to submit).</summary>
    public string? ContainerImage { get; init; }

    /// <summary>The Kubernetes namespace.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>The PersistentVolumeClaim that holds the work folder on every node, mounted at the folder's own path.</summary>
    public string VolumeClaim { get; init; } = "ristretto-work";

    /// <summary>The kube config file; null: KUBECONFIG, then ~/.kube/config.</summary>
    public string? KubeConfig { get; init; }

    /// <summary>Seconds between two looks at a scheduler's queue and the result files.</summary>
    public double PollSeconds { get; init; } = 2;

    /// <summary>Reads <c>--launcher</c>: local:N (N ≥ 1), local (one worker per --worker-devices entry), slurm, kubernetes.</summary>
    public static ScaleOutSettings Parse(string launcher, IReadOnlyList<string>? workerDevices = null)
    {
        ArgumentNullException.ThrowIfNull(launcher);
        var devices = workerDevices ?? [];
        string error = $"--launcher {launcher}: expected local:N (N worker processes), slurm or kubernetes";
        if (launcher == "slurm" || launcher == "kubernetes")
        {
            if (devices.Count > 0)
                throw new RistrettoException($"--worker-devices goes with --launcher local (a {launcher} job asks its scheduler for devices)");
            return new ScaleOutSettings { Launcher = launcher == "slurm" ? LauncherKind.Slurm : LauncherKind.Kubernetes };
        }
        if (launcher == "local")
            return devices.Count > 0 ? new ScaleOutSettings { Workers = devices.Count, WorkerDevices = devices }
                : throw new RistrettoException($"--launcher local needs a pool size (local:N) or --worker-devices");
        if (!launcher.StartsWith("local:", StringComparison.Ordinal)
            || !int.TryParse(launcher.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            throw new RistrettoException(error);
        if (devices.Count > 0 && devices.Count != n)
            throw new RistrettoException($"--launcher {launcher} with {devices.Count} --worker-devices: give one device per worker (or local alone)");
        return new ScaleOutSettings { Workers = n, WorkerDevices = devices };
    }

    /// <summary>Checks the numbers and combinations.</summary>
    public ScaleOutSettings Validate()
    {
        if (Workers < 1)
            throw new RistrettoException($"--launcher local:N needs N ≥ 1, got {Workers}");
        if (Parallel is < 1)
            throw new RistrettoException($"--parallel must be ≥ 1, got {Parallel}");
        if (Retries is < 0 or > 100)
            throw new RistrettoException($"--retries must be from 0 to 100, got {Retries}");
        if (DryRun && Launcher == LauncherKind.Local)
            throw new RistrettoException("--dry-run goes with --launcher slurm or kubernetes (it writes their script or manifest)");
        if (WorkerCommand is { Count: 0 })
            throw new RistrettoException("--worker-command is empty");
        if (!(PollSeconds > 0))
            throw new RistrettoException($"the poll interval must be positive, got {PollSeconds}");
        return this;
    }

    /// <summary>A short description, e.g. "local:2", "slurm", "kubernetes".</summary>
    public string Describe() => Launcher switch
    {
        LauncherKind.Slurm => "slurm",
        LauncherKind.Kubernetes => "kubernetes",
        _ => WorkerDevices.Count > 0 ? $"local ({string.Join(", ", WorkerDevices)})" : $"local:{Workers}",
    };
}
