using k8s;
using k8s.Models;
using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Quantization;
using Ristretto.ScaleOut;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.ScaleOut;

/// <summary>The trial folder's files, its lock and its refusals, and the launchers' scripts and manifests (no scheduler needed).</summary>
[Collection("cli")]
public sealed class TrialContractTests
{
    private static readonly ModelReference Model = new("/models/lenet.rstm", null, new string('a', 64));

    private static TrialContext Context(string data = "mnist") => TrialContext.Of(Model, new DataSettings { Data = data, Images = 100, SubsetSeed = 7 },
        Ristretto.Data.Images.Preprocessing.Idx, Metric.Top1, false, 50, 2);

    private static QuantizationPlan Plan() => new(new Dictionary<string, LayerQuantization>
    {
        ["conv1"] = new(new DynamicFixedPoint(8, 7), null, new DynamicFixedPoint(8, 0, signed: false), new DynamicFixedPoint(8, 3)),
    }, "conv1 8-bit");

    [Fact]
    public void Should_Read_Back_A_Trial_And_A_Result_As_Written()
    {
        using var dir = new TempDir();
        var trial = new Trial(3, 2, "conv weights 8-bit", Plan(), Context());
        var back = Trial.Parse(trial.Serialize(), "t.json", dir.Path);
        Assert.Equal(trial.Serialize(), back.Serialize());
        Assert.Equal(7UL, back.Context.Data.SubsetSeed);
        Assert.Equal(Ristretto.Data.Images.Preprocessing.Idx, back.Context.Data.Preprocessing);
        var result = new TrialResult(3, "conv weights 8-bit", new EvalResult(0.9871, double.NaN, 100, 0.25) { Score = 1.0 / 3 }, "node1", "cpu", 1.5);
        var read = TrialResult.Parse(result.Serialize(), "r.json", 3);
        Assert.Equal(result.Score.Top1, read.Score.Top1);
        Assert.True(double.IsNaN(read.Score.Top5));
        Assert.Equal(1.0 / 3, read.Score.Score); // bit for bit
        var wrongIndex = Assert.Throws<RistrettoException>(() => TrialResult.Parse(result.Serialize(), "r.json", 4));
        Assert.Contains("result of trial 3", wrongIndex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Refuse_A_Locked_Folder_Another_Search_And_An_Index_Out_Of_Range()
    {
        using var dir = new TempDir();
        string work = dir.File("work");
        using (var folder = WorkFolder.OpenForSearch(work, "search A", Model))
        {
            var locked = Assert.Throws<RistrettoException>(() => WorkFolder.OpenForSearch(work, "search A", Model));
            Assert.Contains("locked by another search", locked.Message, StringComparison.Ordinal);
            folder.WriteTrial(new Trial(0, 1, "float32 baseline", QuantizationPlan.Float, Context()));
            folder.WriteTrial(new Trial(0, 1, "float32 baseline", QuantizationPlan.Float, Context())); // the same trial again: resuming
            var other = Assert.Throws<RistrettoException>(() => folder.WriteTrial(new Trial(0, 1, "conv 8-bit", Plan(), Context())));
            Assert.Contains("another search", other.Message, StringComparison.Ordinal);
            var range = Assert.Throws<RistrettoException>(() => folder.ReadTrial(5));
            Assert.Contains("--index 5 is out of range", range.Message, StringComparison.Ordinal);
            File.WriteAllText(folder.ResultPath(0), "{ not json");
            var bad = Assert.Throws<RistrettoException>(() => folder.ReadResult(0));
            Assert.Contains("does not parse", bad.Message, StringComparison.Ordinal);
        }
        // Released with the search: the same search reopens it; another one is refused.
        WorkFolder.OpenForSearch(work, "search A", Model).Dispose();
        var another = Assert.Throws<RistrettoException>(() => WorkFolder.OpenForSearch(work, "search B", Model));
        Assert.Contains("trials of another search", another.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Print_One_Error_Line_For_Bad_Trial_Input()
    {
        using var dir = new TempDir();
        string work = dir.File("work");
        using (var folder = WorkFolder.OpenForSearch(work, "search A", Model))
        {
            folder.WriteTrial(new Trial(0, 1, "float32 baseline", QuantizationPlan.Float, Context()));
            File.WriteAllText(folder.ResultPath(0), "[1, 2]");
            // The CLI is refused while this search holds the folder's lock.
            var locked = CliProcess.Run(["quantize", "--work", work, "--launcher", "local:1", "--images", "10"]);
            Assert.Equal(1, locked.ExitCode);
            Assert.Single(locked.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Contains(locked.ErrorLines, l => l.Contains("locked by another search", StringComparison.Ordinal));
        }
        foreach (var (args, expected) in new (string[], string)[]
        {
            (["trial", "--work", work, "--index", "9"], "--index 9 is out of range"),
            (["trial", "--work", work, "--index", "0"], "does not parse as a trial result"),
            (["trial", "--work", dir.Path, "--index", "0"], "is not a trial folder"),
            (["quantize", "--launcher", "local:0"], "--launcher local:0"),
        })
        {
            var r = CliProcess.Run(args);
            Assert.Equal(1, r.ExitCode);
            var line = Assert.Single(r.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Contains(expected, line, StringComparison.Ordinal);
            Assert.DoesNotContain(r.ErrorLines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Should_Run_A_Trial_Whose_Worker_Died_Again_And_Name_One_That_Keeps_Failing()
    {
        using var dir = new TempDir();
        // A stand-in worker: the first one dies at once; the next ones answer each index with a prepared result.
        Directory.CreateDirectory(dir.File("prepared"));
        var score = new EvalResult(0.75, 0.5, 100, 0.1) { Score = 0.75 };
        File.WriteAllText(dir.File("prepared/0.json"), new TrialResult(0, "float32 baseline", score, "h", "cpu", 0.1).Serialize());
        string work = dir.File("work");
        string script = $"if [ -f '{dir.File("marker")}' ]; then while read i; do cp '{dir.File("prepared")}'/$i.json '{work}'/results/$i.json; echo ok $i; done;"
            + $" else touch '{dir.File("marker")}'; exit 3; fi";
        var lines = new List<string>();
        var settings = new ScaleOutSettings { Workers = 1, Retries = 1, WorkerCommand = ["sh", "-c", script, "worker"] };
        using (var search = new TrialSearch(WorkFolder.OpenForSearch(work, "search A", Model), Context(), settings, lines.Add))
        using (var evaluator = search.Open(Metric.Top1, false, null, CancellationToken.None))
        {
            var got = evaluator.ScoreOne(QuantizationPlan.Float, "float32 baseline");
            Assert.Equal((0.75, 0.5), (got.Top1, got.Top5));
            Assert.Equal(1, search.Summary.Retried);
            Assert.Contains(lines, l => l.Contains("running them again", StringComparison.Ordinal));
        }

        // A worker that always dies: after 1 + --retries runs the search stops, naming the trial and its log.
        var dying = settings with { WorkerCommand = ["sh", "-c", "exit 3", "worker"] };
        using var again = new TrialSearch(WorkFolder.OpenForSearch(dir.File("work2"), "search A", Model), Context(), dying);
        using var failing = again.Open(Metric.Top1, false, null, CancellationToken.None);
        var e = Assert.Throws<RistrettoException>(() => failing.ScoreOne(QuantizationPlan.Float, "float32 baseline"));
        Assert.Contains("trial(s) 0 left no result after 2 run(s)", e.Message, StringComparison.Ordinal);
        Assert.Contains("logs/0.log", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Write_A_Slurm_Job_Array_Script_With_The_Index_From_The_Task_Id()
    {
        using var dir = new TempDir();
        using var folder = WorkFolder.OpenForSearch(dir.File("work"), "search A", Model);
        var settings = new ScaleOutSettings { Launcher = LauncherKind.Slurm, Parallel = 2, Device = "cuda:0", WorkerCommand = ["/opt/ristretto/ristretto"], SbatchOptions = ["--partition=gpu"] };
        string script = SlurmLauncher.Script(settings, folder, round: 3, first: 16, count: 4);
        Assert.Contains("#SBATCH --array=0-3%2\n", script, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --gres=gpu:1\n", script, StringComparison.Ordinal);
        Assert.Contains("#SBATCH --partition=gpu\n", script, StringComparison.Ordinal);
        Assert.Contains("index=$((first + SLURM_ARRAY_TASK_ID))", script, StringComparison.Ordinal);
        Assert.Contains($"exec /opt/ristretto/ristretto trial --work {folder.Path} --index \"$index\" --device cuda\n", script, StringComparison.Ordinal);
        Assert.Contains("first=16\n", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Write_An_Indexed_Job_That_KubernetesClient_Reads_Back_And_Round_Trips()
    {
        var settings = new ScaleOutSettings
        {
            Launcher = LauncherKind.Kubernetes, Parallel = 3, Retries = 2, Device = "cuda", ContainerImage = "registry.example/ristretto:1.0",
            Namespace = "ml", VolumeClaim = "shared-work",
        };
        string yaml = KubernetesYaml.Serialize(KubernetesLauncher.Manifest(settings, "/shared/work", round: 2, first: 10, count: 8, name: "ristretto-abc-r2"));
        var job = KubernetesYaml.Deserialize<V1Job>(yaml);
        Assert.Equal("batch/v1", job.ApiVersion);
        Assert.Equal("Job", job.Kind);
        Assert.Equal("ristretto-abc-r2", job.Metadata.Name);
        Assert.Equal("ml", job.Metadata.NamespaceProperty);
        Assert.Equal("Indexed", job.Spec.CompletionMode);
        Assert.Equal(8, job.Spec.Completions);
        Assert.Equal(3, job.Spec.Parallelism);
        Assert.Equal(2, job.Spec.BackoffLimitPerIndex);
        var pod = job.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        var container = Assert.Single(pod.Containers);
        Assert.Equal("registry.example/ristretto:1.0", container.Image);
        Assert.Contains("$((RISTRETTO_FIRST + JOB_COMPLETION_INDEX))", container.Command[^1], StringComparison.Ordinal);
        Assert.Contains("trial --work /shared/work", container.Command[^1], StringComparison.Ordinal);
        Assert.Contains(container.Env, e => e.Name == "RISTRETTO_FIRST" && e.Value == "10");
        Assert.Equal("1", container.Resources.Limits["nvidia.com/gpu"].ToString());
        var mount = Assert.Single(container.VolumeMounts);
        Assert.Equal("/shared/work", mount.MountPath);
        var volume = Assert.Single(pod.Volumes);
        Assert.Equal(mount.Name, volume.Name);
        Assert.Equal("shared-work", volume.PersistentVolumeClaim.ClaimName);
        Assert.Equal(yaml, KubernetesYaml.Serialize(job));

        // Without a kube config the launcher writes the manifest and stops in one line (no API server is reached).
        using var dir = new TempDir();
        using var folder = WorkFolder.OpenForSearch(dir.File("work"), "search A", Model);
        using var launcher = new KubernetesLauncher(settings with { KubeConfig = dir.File("no-such-config") });
        var e = Assert.Throws<RistrettoException>(() => launcher.Run(new TrialBatch(folder, 1, 0, 2, [0, 1], 0), _ => { }, CancellationToken.None));
        Assert.Contains("no kube config", e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder.Path, "kubernetes", "round-1.yaml")));
    }

    [Fact]
    public void Should_Parse_Launchers_And_Refuse_Others_In_One_Line()
    {
        Assert.Equal(2, ScaleOutSettings.Parse("local:2").Workers);
        var gpus = ScaleOutSettings.Parse("local", ["cuda:0", "cuda:1"]);
        Assert.Equal((2, "local (cuda:0, cuda:1)"), (gpus.Workers, gpus.Describe()));
        Assert.Equal(LauncherKind.Slurm, ScaleOutSettings.Parse("slurm").Launcher);
        Assert.Equal(LauncherKind.Kubernetes, ScaleOutSettings.Parse("kubernetes").Launcher);
        foreach (var bad in new[] { "local:0", "local:x", "mpi", "local" })
            Assert.Throws<RistrettoException>(() => ScaleOutSettings.Parse(bad));
        Assert.Throws<RistrettoException>(() => ScaleOutSettings.Parse("local:3", ["cuda:0"]));
        Assert.Throws<RistrettoException>(() => new ScaleOutSettings { DryRun = true }.Validate());
    }
}
