using k8s;
using k8s.Models;
using Ristretto.Data;
using Ristretto.Jobs;
using Ristretto.Quantization;
using Ristretto.ScaleOut;
using Ristretto.Tests.Support;
using static TorchSharp.torch;

namespace Ristretto.Tests.ScaleOut;

/// <summary>
/// The kubernetes launcher's submit-and-wait code against an API server in this process (<see cref="FakeKubernetesApi"/>):
/// each round is POSTed as an Indexed Job, its status polled until it completes (the fake's "pods" run the indices with
/// the trial worker), a failed Job stops the search in one line, and cancelling deletes the Job.
/// </summary>
[Collection("cli")]
public sealed class KubernetesSubmissionTests
{
    [Fact]
    public void Should_Create_Each_Round_As_An_Indexed_Job_Wait_For_It_And_Delete_It_When_Cancelled()
    {
        using var data = SyntheticDigits.WriteDataset(train: 64, test: 60);
        using var dir = new TempDir();
        set_num_threads(1);
        LeNetFile.Write(dir.File("m.rstm"), trainIterations: 0);
        var settings = new QuantizeSettings
        {
            Model = dir.File("m.rstm"), Device = "cpu", DataGiven = true, Widths = new BitWidths(8, 8, 8),
            Data = new DataSettings { Data = data.Path, CalibrationImages = 32, Streaming = new StreamingOptions { Workers = 1 } }.Validate(),
        };
        var serial = Quantizer.Run(settings);
        using var api = new FakeKubernetesApi();
        ScaleOutSettings Kubernetes(string work) => new()
        {
            Launcher = LauncherKind.Kubernetes, Work = dir.File(work), ContainerImage = "registry.example/ristretto:1", Namespace = "trials",
            KubeConfig = api.KubeConfig(dir.File("kubeconfig")), PollSeconds = 0.05,
        };

        // The pods: once the launcher has asked for the Job's status, each index runs its trial (RISTRETTO_FIRST + index),
        // in this process, in the folder mounted at its own path; then the Job completes.
        api.OnCreated = job =>
        {
            WaitFor(() => api.Requests.Any(r => r.Method == "GET" && r.Path.Contains(job.Metadata.Name, StringComparison.Ordinal)));
            var container = job.Spec.Template.Spec.Containers.Single();
            int first = int.Parse(container.Env.Single(e => e.Name == "RISTRETTO_FIRST").Value, System.Globalization.CultureInfo.InvariantCulture);
            for (int i = 0; i < job.Spec.Completions; i++)
                TrialWorker.Run(new TrialSettings { Work = container.VolumeMounts.Single().MountPath, Index = first + i, Device = "cpu" });
            api.Status[job.Metadata.Name] = FakeKubernetesApi.Conditions("Complete");
        };
        var fanned = Quantizer.Run(settings with { ScaleOut = Kubernetes("done") });
        Assert.Equal(ResultJson.WithoutWorkFields(serial.ToJson()), ResultJson.WithoutWorkFields(fanned.ToJson()));
        var post = Assert.Single(api.Requests, r => r.Method == "POST");
        Assert.Equal("/apis/batch/v1/namespaces/trials/jobs", post.Path);
        var submitted = KubernetesJson.Deserialize<V1Job>(post.Body);
        Assert.Equal("Indexed", submitted.Spec.CompletionMode);
        Assert.Equal(2, submitted.Spec.Completions); // the float baseline and the plan
        Assert.Equal("registry.example/ristretto:1", submitted.Spec.Template.Spec.Containers.Single().Image);
        Assert.Equal(dir.File("done"), submitted.Spec.Template.Spec.Containers.Single().VolumeMounts.Single().MountPath);
        Assert.Contains(api.Requests, r => r.Method == "GET" && r.Path.EndsWith($"/jobs/{submitted.Metadata.Name}/status", StringComparison.Ordinal));

        // A Job that fails leaves its indices without results: the search stops and names them.
        api.OnCreated = job => api.Status[job.Metadata.Name] = FakeKubernetesApi.Conditions("Failed", "0,1");
        var failed = Assert.Throws<RistrettoException>(() => Quantizer.Run(settings with { ScaleOut = Kubernetes("failed") }));
        Assert.Contains("trial(s) 0, 1 left no result", failed.Message, StringComparison.Ordinal);

        // Ctrl+C while the Job runs: the launcher deletes it.
        using var cancel = new CancellationTokenSource();
        api.OnCreated = _ => cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Quantizer.Run(settings with { ScaleOut = Kubernetes("cancelled") }, cancel: cancel.Token));
        var created = api.Requests.Where(r => r.Method == "POST").Select(r => KubernetesJson.Deserialize<V1Job>(r.Body).Metadata.Name).Last();
        var delete = Assert.Single(api.Requests, r => r.Method == "DELETE");
        Assert.StartsWith($"/apis/batch/v1/namespaces/trials/jobs/{created}", delete.Path, StringComparison.Ordinal);
        Assert.Contains("propagationPolicy=Background", delete.Path, StringComparison.Ordinal);
        Assert.False(api.Jobs.ContainsKey(created));
    }

    private static void WaitFor(Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < TimeSpan.FromSeconds(60))
            Thread.Sleep(20);
    }
}
