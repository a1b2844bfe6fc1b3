using System.CommandLine;
using Ristretto.ScaleOut;

namespace Ristretto.Cli.Infrastructure;

/// <summary>The options that fan a search out as numbered trials (<c>--launcher</c>, <c>--work</c> and what goes with them).</summary>
public sealed class ScaleOutOptions
{
    private readonly Option<string?> _launcher = new("--launcher") { Description = "Fan the search's rounds out as numbered trials: local:N (N worker processes here, pinned to core groups), local with --worker-devices, slurm (a job array per round, sbatch/squeue), kubernetes (an Indexed Job per round). Default: score every plan in this process. See docs/scale-out.md." };
    private readonly Option<string?> _work = new("--work") { Description = "The trial folder (shared by every node for slurm and kubernetes); running the same command again resumes it. Default with --launcher: a temporary folder." };
    private readonly Option<string?> _devices = new("--worker-devices") { Description = "Local workers' devices, one worker pinned to each, e.g. cuda:0,cuda:1 (with --launcher local or local:N)." };
    private readonly Option<int?> _parallel = new("--parallel") { Description = "Trials of a round run at once (slurm: --array=…%P; kubernetes: parallelism); also how many moves of a per-layer step are scored ahead. Default: the whole round." };
    private readonly Option<int> _retries = new("--retries") { Description = "How often a trial whose worker died (no result) runs again before the search stops and names it.", DefaultValueFactory = _ => 2 };
    private readonly Option<bool> _dryRun = new("--dry-run") { Description = "slurm or kubernetes: write the first round's trials and its job script or manifest, and submit nothing." };
    private readonly Option<string?> _workerCommand = new("--worker-command") { Description = "The command that runs ristretto where the trials run (default: this command for local and slurm, 'ristretto' in the container for kubernetes)." };
    private readonly Option<string[]> _sbatch = new("--sbatch-option") { Description = "slurm: an extra #SBATCH option for the job arrays, e.g. --partition=gpu (repeatable).", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string?> _image = new("--container-image") { Description = "kubernetes: the image the trials run in (see the Dockerfile)." };
    private readonly Option<string> _namespace = new("--namespace") { Description = "kubernetes: the namespace of the Jobs.", DefaultValueFactory = _ => "default" };
    private readonly Option<string> _claim = new("--volume-claim") { Description = "kubernetes: the PersistentVolumeClaim holding the --work folder, mounted at the same path in every pod.", DefaultValueFactory = _ => "ristretto-work" };
    private readonly Option<string?> _kubeConfig = new("--kubeconfig") { Description = "kubernetes: the kube config file (default: KUBECONFIG, then ~/.kube/config, then the in-cluster account)." };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { _launcher, _work, _devices, _parallel, _retries, _dryRun, _workerCommand, _sbatch, _image, _namespace, _claim, _kubeConfig })
            command.Options.Add(option);
    }

    /// <summary>The settings, or null without --launcher and --work (every plan scored in process).</summary>
    public ScaleOutSettings? Settings(ParseResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var devices = r.GetValue(_devices) is { } d ? d.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
        string? launcher = r.GetValue(_launcher);
        if (launcher is null)
        {
            if (devices.Length > 0)
                launcher = "local";
            else if (r.GetValue(_work) is not null)
                launcher = "local:1";
            else
            {
                foreach (var option in new Option[] { _parallel, _dryRun, _workerCommand, _sbatch, _image, _kubeConfig })
                    if (r.GetResult(option) is { Implicit: false })
                        throw new RistrettoException($"{option.Name} goes with --launcher");
                return null;
            }
        }
        string? command = r.GetValue(_workerCommand);
        return ScaleOutSettings.Parse(launcher, devices) with
        {
            Work = r.GetValue(_work),
            Parallel = r.GetValue(_parallel),
            Retries = r.GetValue(_retries),
            DryRun = r.GetValue(_dryRun),
            WorkerCommand = command is null ? DefaultCommand(launcher) : command.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            SbatchOptions = r.GetValue(_sbatch) ?? [],
            ContainerImage = r.GetValue(_image),
            Namespace = r.GetValue(_namespace)!,
            VolumeClaim = r.GetValue(_claim)!,
            KubeConfig = r.GetValue(_kubeConfig),
        };
    }

    /// <summary>This very command for local and Slurm workers (the same build on the same paths); the container's for Kubernetes.</summary>
    private static IReadOnlyList<string>? DefaultCommand(string launcher) =>
        launcher == "kubernetes" ? null : TrialLaunchers.ThisCommand();
}
