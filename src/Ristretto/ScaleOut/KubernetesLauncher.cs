using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;

namespace Ristretto.ScaleOut;

/// <summary>
/// <c>--launcher kubernetes</c>: each round is an Indexed Job (<c>completionMode: Indexed</c>, one completion per trial,
/// <c>parallelism</c> from <c>--parallel</c>, the trial index the round's first plus <c>JOB_COMPLETION_INDEX</c>),
/// whose pods mount the PersistentVolumeClaim that holds the work folder at the folder's own path, run the image of
/// <c>--container-image</c>, and ask for one <c>nvidia.com/gpu</c> when trials run on CUDA. Kubernetes retries a failed
/// index itself (<c>backoffLimitPerIndex</c> = <c>--retries</c>). The manifest is written to
/// <c>kubernetes/round-R.yaml</c>; with a kube config it is submitted through the Kubernetes client and watched until the
/// Job completes or fails (Ctrl+C deletes it); <c>--dry-run</c> writes the YAML only.
/// </summary>
internal sealed class KubernetesLauncher(ScaleOutSettings settings) : ITrialLauncher
{
    private Kubernetes? _client;

    public int Slots => settings.Parallel ?? int.MaxValue;

    public bool RetriesItself => true;

    /// <summary>The Indexed Job of a round: <paramref name="count"/> trials from <paramref name="first"/> in <paramref name="folder"/>.</summary>
    public static V1Job Manifest(ScaleOutSettings settings, string folder, int round, int first, int count, string name)
    {
        ArgumentNullException.ThrowIfNull(settings);
        bool gpu = settings.Device is { } d && d.StartsWith("cuda", StringComparison.Ordinal);
        var command = settings.WorkerCommand ?? ["ristretto"];
        string line = "exec " + TrialLaunchers.TrialCommandLine(command, folder, "$((RISTRETTO_FIRST + JOB_COMPLETION_INDEX))", gpu ? "cuda" : settings.Device);
        var labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "ristretto", ["ristretto/round"] = round.ToString(CultureInfo.InvariantCulture) };
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = settings.Namespace, Labels = labels },
            Spec = new V1JobSpec
            {
                CompletionMode = "Indexed",
                Completions = count,
                Parallelism = Math.Min(count, settings.Parallel ?? count),
                BackoffLimitPerIndex = settings.Retries,
                TtlSecondsAfterFinished = 86400,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "trial",
                                Image = settings.ContainerImage ?? "ristretto:latest",
                                Command = ["/bin/sh", "-c", line],
                                Env = [new V1EnvVar { Name = "RISTRETTO_FIRST", Value = first.ToString(CultureInfo.InvariantCulture) }, new V1EnvVar { Name = "CI", Value = "true" }],
                                VolumeMounts = [new V1VolumeMount { Name = "work", MountPath = folder }],
                                Resources = gpu ? new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new("1") } } : null,
                            },
                        ],
                        Volumes = [new V1Volume { Name = "work", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = settings.VolumeClaim } }],
                    },
                },
            },
        };
    }

    /// <summary>A Job name for round <paramref name="round"/> of <paramref name="folder"/> (DNS-1123, at most 63 characters).</summary>
    public static string JobName(string folder, int round, int attempt)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(folder)))[..8];
        return string.Create(CultureInfo.InvariantCulture, $"ristretto-{hash}-r{round}-{DateTime.UtcNow:HHmmss}{(attempt > 0 ? $"-{attempt}" : "")}");
    }

    public void Run(TrialBatch batch, Action<string> log, CancellationToken cancel)
    {
        string name = JobName(batch.Folder.Path, batch.Round, batch.Attempt);
        var job = Manifest(settings, batch.Folder.Path, batch.Round, batch.First, batch.Count, name);
        string path = Path.Combine(batch.Folder.Folder("kubernetes"), $"round-{batch.Round}.yaml");
        WorkFolder.WriteFile(path, KubernetesYaml.Serialize(job));
        if (settings.DryRun)
            throw new DryRunWritten(path, batch.Count);
        if (settings.ContainerImage is null)
            throw new RistrettoException("--launcher kubernetes needs --container-image (the image the trials run in; see docs/scale-out.md)");
        var client = Client();
        try
        {
            client.BatchV1.CreateNamespacedJob(job, settings.Namespace);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            throw new RistrettoException($"--launcher kubernetes: creating Job {name} failed: {e.Response?.StatusCode} {e.Response?.Content?.Split('\n')[0]}", e);
        }
        catch (HttpRequestException e)
        {
            throw new RistrettoException($"--launcher kubernetes: cannot reach the API server ({e.Message})", e);
        }
        log($"round {batch.Round}: created Indexed Job {name} ({batch.Count} completions) from {path}");
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
                var status = client.BatchV1.ReadNamespacedJobStatus(name, settings.Namespace).Status;
                if (status?.Conditions?.Any(c => c.Status == "True" && c.Type is "Complete" or "Failed") == true)
                {
                    if (status.FailedIndexes is { Length: > 0 } failed)
                        log($"round {batch.Round}: Job {name} ended with failed indexes {failed}");
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            client.BatchV1.DeleteNamespacedJob(name, settings.Namespace, propagationPolicy: "Background");
            log($"round {batch.Round}: deleted Job {name}");
            throw;
        }
    }

    public void Dispose() => _client?.Dispose();

    private Kubernetes Client()
    {
        if (_client is not null)
            return _client;
        string? config = settings.KubeConfig ?? Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(':')[0];
        if (config is null)
        {
            string home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
            config = File.Exists(home) ? home : null;
        }
        if (config is null && KubernetesClientConfiguration.IsInCluster())
            return _client = new Kubernetes(KubernetesClientConfiguration.InClusterConfig());
        if (config is null || !File.Exists(config))
            throw new RistrettoException($"--launcher kubernetes: no kube config{(config is null ? " (KUBECONFIG, ~/.kube/config)" : $" at {config}")}; give --kubeconfig, or --dry-run to write the manifest only");
        try
        {
            return _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(config));
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or YamlDotNet.Core.YamlException)
        {
            throw new RistrettoException($"--launcher kubernetes: kube config {config}: {e.Message.Split('\n')[0]}", e);
        }
    }
}
