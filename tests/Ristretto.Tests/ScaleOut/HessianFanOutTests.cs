using System.Text.Json.Nodes;
using Ristretto.Data;
using Ristretto.Jobs;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.ScaleOut;
using Ristretto.Search;
using Ristretto.Tests.Support;
using static TorchSharp.torch;

namespace Ristretto.Tests.ScaleOut;

/// <summary>
/// The Hessian allocation's probe plans fanned out as calibration-loss trials, on a model the search equalized (the
/// trials score the equalized model the search wrote into the work folder): the serial result, every probe's loss bit
/// for bit; and a temporary trial folder removed when the search fails or is cancelled.
/// </summary>
[Collection("cli")]
public sealed class HessianFanOutTests
{
    private static string Cli => Path.Combine(AppContext.BaseDirectory, "Ristretto.Cli.dll");

    [Fact]
    public void Should_Give_The_Serial_Hessian_Allocation_Of_An_Equalized_Model_Through_A_Local_Pool_Of_Two()
    {
        using var data = SyntheticDigits.WriteDataset(train: 256, test: 60);
        using var dir = new TempDir();
        set_num_threads(1);
        double budget = LeNetFile.Write(dir.File("m.rstm"), trainIterations: 40);
        var settings = new QuantizeSettings
        {
            Model = dir.File("m.rstm"), Device = "cpu", DataGiven = true, Search = SearchKind.Hessian, Budget = SearchBudget.Parse($"bops={budget:R}"),
            Equalize = true,
            Data = new DataSettings { Data = data.Path, CalibrationImages = 64, Streaming = new StreamingOptions { Workers = 1 } }.Validate(),
        };
        var serial = Quantizer.Run(settings);
        string work = dir.File("pool");
        var fanned = Quantizer.Run(settings with { ScaleOut = new ScaleOutSettings { Workers = 2, Work = work, WorkerCommand = ["dotnet", Cli] } });

        Assert.Equal(ResultJson.WithoutWorkFields(serial.ToJson()), ResultJson.WithoutWorkFields(fanned.ToJson()));
        Assert.Equal(PlanFile.Serialize(serial.Plan), PlanFile.Serialize(fanned.Plan));
        Assert.Equal(serial.Hessian!.Traces, fanned.Hessian!.Traces);
        Assert.Equal(serial.Quantized.Top1, fanned.Quantized.Top1);

        // The trials scored the equalized model written into the folder, hashed in the manifest, not the model file given.
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(work, "manifest.json")))!;
        string scored = manifest["scored_model"]!["path"]!.GetValue<string>();
        Assert.Equal(Path.Combine(work, "model.rstm"), scored);
        Assert.Equal(ModelReference.Hash(scored, null), manifest["scored_model"]!["sha256"]!.GetValue<string>());
        Assert.NotEqual(ModelReference.Hash(dir.File("m.rstm"), null), ModelReference.Hash(scored, null));

        // Every probe's loss is the one the serial search computes on its equalized network in memory, bit for bit.
        using var loaded = ModelLoader.Load(dir.File("m.rstm"), CPU, applyQuantization: false);
        var network = loaded.Network("quantized");
        Assert.NotEmpty(Ristretto.Transforms.CrossLayerEqualization.Apply(network));
        using var job = JobData.Open(settings.Data, network.Inputs[0].Shape, CPU, eval: false, train: false, calibration: true);
        var folder = WorkFolder.OpenForWorker(work);
        int losses = 0;
        for (int i = 0; i < folder.TrialCount; i++)
        {
            var trial = folder.ReadTrial(i);
            Assert.Equal(scored, trial.Context.Model.Path);
            if (trial.Context.Loss is not { } loss)
                continue;
            losses++;
            Assert.Equal(loss.Of(network, trial.Plan, job.Calibration!), folder.ReadResult(i).Score.Score);
        }
        int layers = network.Nodes.Count(n => n.Layer is Ristretto.Graph.IWeightedLayer);
        var candidates = serial.Hessian.Candidates;
        int probes = 1 + layers * (HessianSearch.ActivationWidths.Length + HessianSearch.Widths.Length - 1);
        Assert.Equal(probes + candidates.Count, losses); // the float and single-layer probes, then the screening of the program's best allocations
        Assert.Equal(losses + 1 + candidates.Count(c => c.Score is not null), folder.TrialCount); // then the float baseline and the finalists
    }

    [Fact]
    public void Should_Remove_The_Temporary_Trial_Folder_When_The_Search_Fails_Or_Is_Cancelled()
    {
        using var data = SyntheticDigits.WriteDataset(train: 64, test: 50);
        using var dir = new TempDir();
        LeNetFile.Write(dir.File("m.rstm"), trainIterations: 0);
        var settings = new QuantizeSettings
        {
            Model = dir.File("m.rstm"), Device = "cpu", DataGiven = true,
            Data = new DataSettings { Data = data.Path, CalibrationImages = 32, Streaming = new StreamingOptions { Workers = 1 } }.Validate(),
        };

        // A worker that dies at once: the round is left without results and the search stops.
        var failing = new Notes();
        var error = Assert.Throws<RistrettoException>(() => Quantizer.Run(settings with
        {
            ScaleOut = new ScaleOutSettings { Workers = 1, Retries = 0, WorkerCommand = ["false"] },
        }, failing));
        Assert.Contains("left no result", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(failing.Folder), $"{failing.Folder} stayed behind");

        // Ctrl+C while a worker holds a trial: the worker is stopped and the folder removed.
        using var cancel = new CancellationTokenSource();
        var cancelled = new Notes(line =>
        {
            if (line.StartsWith("worker 0: pid", StringComparison.Ordinal))
                cancel.CancelAfter(TimeSpan.FromSeconds(1));
        });
        Assert.ThrowsAny<OperationCanceledException>(() => Quantizer.Run(settings with
        {
            ScaleOut = new ScaleOutSettings { Workers = 1, WorkerCommand = ["sh", "-c", "sleep 120", "sh"] },
        }, cancelled, cancel.Token));
        Assert.False(Directory.Exists(cancelled.Folder), $"{cancelled.Folder} stayed behind");

        // A folder the user gave is kept (it is how a search resumes).
        string given = dir.File("given");
        Assert.Throws<RistrettoException>(() => Quantizer.Run(settings with
        {
            ScaleOut = new ScaleOutSettings { Workers = 1, Retries = 0, Work = given, WorkerCommand = ["false"] },
        }));
        Assert.True(File.Exists(Path.Combine(given, "manifest.json")));
    }

    /// <summary>An observer that keeps the trial folder's path from the job's notes.</summary>
    private sealed class Notes(Action<string>? seen = null) : IJobObserver
    {
        public string Folder { get; private set; } = "(none)";

        public T Stage<T>(string title, int total, Func<Action<int, string>, T> work) => work((_, _) => { });

        public void Info(string line)
        {
            if (line.StartsWith("trials: /", StringComparison.Ordinal))
                Folder = line["trials: ".Length..line.LastIndexOf(" (", StringComparison.Ordinal)];
            seen?.Invoke(line);
        }
    }
}
