using System.Diagnostics;
using System.Text.Json.Nodes;
using Ristretto.Data;
using Ristretto.Jobs;
using Ristretto.Quantization;
using Ristretto.ScaleOut;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.ScaleOut;

/// <summary>
/// A LeNet (trained briefly on synthetic digits) searched per type and then per layer, serially in process and fanned
/// out over a pool of two worker processes: the same plan, score, and every sweep and candidate score; and a search
/// killed in the middle resumes, scoring only the trials that had no result.
/// </summary>
[Collection("cli")]
public sealed class LocalLauncherTests
{
    [Fact]
    public void Should_Give_The_Serial_Result_Through_A_Local_Pool_Of_Two_And_Resume_After_A_Kill()
    {
        using var data = SyntheticDigits.WriteDataset(train: 512, test: 300);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path, "--threads", "1"];
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "40", "--batch-size", "32", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        TorchSharp.torch.set_num_threads(1);
        var settings = new QuantizeSettings
        {
            Model = dir.File("m.rstm"), Device = "cpu", DataGiven = true, Search = SearchKind.PerLayer,
            Data = new DataSettings { Data = data.Path, Streaming = new StreamingOptions { Workers = 1 } }.Validate(),
            Margin = new ErrorMargin(global::Ristretto.Evaluation.Metric.Top1, 3),
        };
        var serialProgress = new ProgressCount();
        var serial = Quantizer.Run(settings, serialProgress);
        Assert.Null(serial.ScaleOut);

        // local:2, through the library: every per-type sweep point and combined try, every per-layer candidate, the plan.
        string cli = Path.Combine(AppContext.BaseDirectory, "Ristretto.Cli.dll");
        var fannedProgress = new ProgressCount();
        var fanned = Quantizer.Run(settings with
        {
            ScaleOut = new ScaleOutSettings { Workers = 2, Work = dir.File("pool"), WorkerCommand = ["dotnet", cli] },
        }, fannedProgress);
        Assert.Equal(serialProgress.Last, fannedProgress.Last); // progress counts what the search reads, not the trials scored ahead
        Assert.Equal(ResultJson.WithoutWorkFields(serial.ToJson()), ResultJson.WithoutWorkFields(fanned.ToJson()));
        Assert.Equal(PlanFile.Serialize(serial.Plan), PlanFile.Serialize(fanned.Plan));
        Assert.Equal(serial.PerLayer!.Value.Result.Scored, fanned.PerLayer!.Value.Result.Scored); // every per-layer candidate read, in order
        Assert.Equal(serial.Sweeps!.Sweeps, fanned.Sweeps!.Sweeps);
        var so = Assert.IsType<ScaleOutSummary>(fanned.ScaleOut);
        Assert.True(so.Rounds > 4 && so.Trials >= serial.Sweeps!.Evaluations + serial.PerLayer!.Value.Result.Evaluations, $"{so}");

        // The CLI, killed (with its workers) once some trials have results, then run again: only the missing ones are scored.
        string work = dir.File("killed");
        string[] args = ["quantize", "--model", dir.File("m.rstm"), "--search", "per-layer", "--error-margin", "3", "--launcher", "local:2",
            "--work", work, "--json", dir.File("resumed.json"), .. common];
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(cli);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        var before = new Dictionary<int, string>();
        using (var p = Process.Start(psi)!)
        {
            _ = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            var watch = Stopwatch.StartNew();
            while (ResultCount(work) < 12 && !p.HasExited && watch.Elapsed < TimeSpan.FromMinutes(3))
                Thread.Sleep(50);
            Assert.False(p.HasExited, "the search ended before it could be killed");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        Thread.Sleep(500);
        foreach (var file in Directory.GetFiles(Path.Combine(work, "results"), "*.json"))
            before[int.Parse(Path.GetFileNameWithoutExtension(file), System.Globalization.CultureInfo.InvariantCulture)] = File.ReadAllText(file);
        Assert.NotEmpty(before);
        var resumed = CliProcess.Run(args);
        Assert.True(resumed.ExitCode == 0, resumed.StdErr);
        foreach (var (index, text) in before)
        {
            Assert.Equal(text, File.ReadAllText(Path.Combine(work, "results", $"{index}.json")));
            var log = File.ReadAllLines(Path.Combine(work, "logs", $"{index}.log"));
            Assert.Single(log, l => l.Contains("scoring trial", StringComparison.Ordinal)); // scored once, before the kill
        }
        var resumedJson = JsonNode.Parse(File.ReadAllText(dir.File("resumed.json")))!;
        Assert.Equal(before.Count, resumedJson["scale_out"]!["resumed"]!.GetValue<int>());
        Assert.Equal(ResultJson.WithoutWorkFields(serial.ToJson()), ResultJson.WithoutWorkFields(resumedJson));
        Assert.Equal(so.Trials, ResultCount(work));
    }

    /// <summary>The last progress count reported in each stage.</summary>
    private sealed class ProgressCount : IJobObserver
    {
        public Dictionary<string, int> Last { get; } = [];

        public T Stage<T>(string title, int total, Func<Action<int, string>, T> work) => work((done, _) => Last[title] = done);

        public void Info(string line)
        {
        }
    }

    private static int ResultCount(string work) =>
        Directory.Exists(Path.Combine(work, "results")) ? Directory.GetFiles(Path.Combine(work, "results"), "*.json").Length : 0;
}
