using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Xunit.Abstractions;

namespace Ristretto.Tests.Cli;

/// <summary>
/// The post-training commands of docs/quantize.md on a 3-channel network and dataset: the zoo <c>cifar10</c> net
/// (conv–pool–LRN stacks, 3×32×32 input) trained by <c>ristretto train</c> on a CIFAR-10 binary folder of coloured shapes
/// (<see cref="ColouredShapes"/>, written here, nothing downloaded), then the default DFP search, <c>--equalize</c>,
/// <c>--adaround</c>, <c>--bias-correction</c>, <c>--search per-layer</c> with its report, <c>--search hessian
/// --budget bops=N</c> at the per-layer plan's cost, and <c>report</c> over the plans: every command runs, each
/// changed model reproduces its score under <c>test</c>, and the report marks the accuracy-vs-energy Pareto front.
/// The default suite runs it at a tiny size (seconds of training, a few hundred images); the long version
/// (<c>RISTRETTO_LONG_TESTS=1</c>, or tests/long/cifar-ptq.sh) trains to about 85 % and prints the figures.
/// </summary>
[Collection("cli")]
public class ThreeChannelPtqTests(ITestOutputHelper output)
{
    private static readonly string[] Preprocessing = CifarEndToEndTests.Preprocessing; // why these values: there

    /// <summary>
    /// The default suite's share, at a tiny size: training, <c>--equalize</c> with <c>--out</c> (whose model must
    /// remember the data's preprocessing, or <c>test</c> reads the images differently) and its cost report's Pareto front
    /// (float32 and the plan; the per-layer search's front is the long test's).
    /// </summary>
    [Fact]
    public void Should_Equalize_A_Tiny_Three_Channel_Net_And_Report_The_Pareto_Front()
    {
        using var data = new TempDir();
        using var dir = new TempDir();
        ColouredShapes.WriteCifar10(data.Path, trainPerBatch: 20, test: 50);
        string[] common = ["--device", "cpu", "--data", data.Path, "--threads", "1"];
        string[] calibration = ["--calibration-images", "32"];
        string model = dir.File("m.rstm");
        Run("train", ["train", "--model", "cifar10", "--out", model, "--iterations", "10", "--batch-size", "32", "--lr", "0.05",
            .. Preprocessing, .. common]);
        Quantize("quantize --equalize", "equalized", ["--widths", "4/4/8", "--equalize", "--out", dir.File("equalized.rstm"), "--report", dir.File("report")],
            model, dir, common, calibration);
        Assert.Equal(ModelPreprocessing.Read(ModelFile.Load(model).Metadata, model),
            ModelPreprocessing.Read(ModelFile.Load(dir.File("equalized.rstm")).Metadata, dir.File("equalized.rstm")));
        Retest("equalized", dir, common);
        AssertParetoFront(dir.File("report"));
    }

    /// <summary>Every command on a trained net: minutes of CPU, opt-in.</summary>
    [LongFact]
    public void Should_Run_The_Post_Training_Commands_On_A_Trained_Three_Channel_Net_And_Report_The_Pareto_Front()
        => RunAll(trainPerBatch: 1000, test: 1000, iterations: 1000, adaroundIterations: 1000, calibrationImages: 640, threads: null);

    private void RunAll(int trainPerBatch, int test, int iterations, int adaroundIterations, int calibrationImages, int? threads)
    {
        using var data = new TempDir();
        using var dir = new TempDir();
        var total = Stopwatch.StartNew();
        ColouredShapes.WriteCifar10(data.Path, trainPerBatch, test);
        string[] common = ["--device", "cpu", "--data", data.Path, .. threads is { } t ? new[] { "--threads", t.ToString(CultureInfo.InvariantCulture) } : []];
        string[] calibration = ["--calibration-images", calibrationImages.ToString(CultureInfo.InvariantCulture)];
        string model = dir.File("m.rstm");

        Run("train", ["train", "--model", "cifar10", "--out", model, "--iterations", iterations.ToString(CultureInfo.InvariantCulture),
            "--batch-size", "64", "--lr", "0.05", "--lr-policy", "Cosine", "--weight-decay", "0.004", "--json", dir.File("train.json"),
            .. Preprocessing, .. common]);
        double trained = Json(dir.File("train.json")).GetProperty("top1").GetDouble();

        // The default search (per type, error-based ranges), then the same with cross-layer equalization.
        var search = Quantize("quantize (default search)", "default", [], model, dir, common, calibration);
        Assert.Equal(trained, search.GetProperty("baseline").GetProperty("top1").GetDouble(), 6);
        Assert.Equal(["conv1", "conv2", "conv3", "ip1"], PlanFile.Load(dir.File("default.json")).Layers.Keys.Order());
        var equalized = Quantize("quantize --equalize", "equalized", ["--equalize", "--out", dir.File("equalized.rstm")], model, dir, common, calibration);
        Assert.True(equalized.TryGetProperty("equalized", out _), "quantize --equalize wrote no \"equalized\" section");
        Retest("equalized", dir, common);

        // AdaRound and bias correction on one narrow per-type plan.
        string[] narrow = ["--widths", "4/4/8"];
        var adarounded = Quantize("quantize --adaround", "adaround",
            [.. narrow, "--adaround", "--adaround-iterations", adaroundIterations.ToString(CultureInfo.InvariantCulture), "--out", dir.File("adaround.rstm")],
            model, dir, common, calibration);
        Assert.True(adarounded.TryGetProperty("adaround", out _), "quantize --adaround wrote no \"adaround\" section");
        Retest("adaround", dir, common);
        var corrected = Quantize("quantize --bias-correction", "corrected", [.. narrow, "--bias-correction", "--out", dir.File("corrected.rstm")],
            model, dir, common, calibration);
        Assert.True(corrected.TryGetProperty("bias_correction", out _), "quantize --bias-correction wrote no \"bias_correction\" section");
        Retest("corrected", dir, common);

        // The per-layer search (its Pareto front in --json and in its cost report), and the Hessian allocation at its cost.
        var perLayer = Quantize("quantize --search per-layer", "per-layer", ["--search", "per-layer", "--report", dir.File("per-layer-report")],
            model, dir, common, calibration).GetProperty("per_layer");
        Assert.NotEqual(0, perLayer.GetProperty("pareto").GetArrayLength());
        AssertParetoFront(dir.File("per-layer-report"));
        double bops = perLayer.GetProperty("bops").GetDouble();
        var hessian = Quantize("quantize --search hessian", "hessian",
            ["--search", "hessian", "--budget", "bops=" + bops.ToString("R", CultureInfo.InvariantCulture)], model, dir, common, calibration);
        Assert.True(hessian.GetProperty("hessian").GetProperty("bops").GetDouble() <= bops * (1 + 1e-9), "the Hessian plan costs more than its budget");

        // One report over the plans of the float model: their costs, accuracies and the Pareto front.
        Run("report", ["report", "--model", model, "--plan", dir.File("default.json"), "--plan", dir.File("per-layer.json"),
            "--plan", dir.File("hessian.json"), "--out", dir.File("report"), .. common]);
        AssertParetoFront(dir.File("report"));

        output.WriteLine(Invariant($"float top-1 {trained:P2}"));
        foreach (var (name, result) in new[] { ("default search", search), ("--equalize", equalized), ("4/4/8 --adaround", adarounded),
                     ("4/4/8 --bias-correction", corrected), ("--search hessian", hessian) })
            output.WriteLine(Invariant($"{name}: chosen {result.GetProperty("chosen").GetRawText()}, top-1 {result.GetProperty("quantized").GetProperty("top1").GetDouble():P2}"));
        output.WriteLine(Invariant($"per-layer: {bops / 1e6:F2} M BOPs, top-1 {perLayer.GetProperty("top1").GetDouble():P2}, Pareto front {perLayer.GetProperty("pareto").GetRawText()}"));
        output.WriteLine(File.ReadAllText(Path.Combine(dir.File("report"), "report.md")).Split("\n\n").FirstOrDefault(p => p.Contains("Pareto", StringComparison.Ordinal)) ?? "");
        output.WriteLine(Invariant($"total {total.Elapsed.TotalSeconds:F0} s"));
    }

    private JsonElement Quantize(string step, string name, string[] options, string model, TempDir dir, string[] common, string[] calibration)
    {
        Run(step, ["quantize", "--model", model, "--plan", dir.File(name + ".json"), "--json", dir.File(name + ".result.json"), .. options, .. calibration, .. common]);
        return Json(dir.File(name + ".result.json"));
    }

    /// <summary><c>test</c> on the changed model under its plan scores what quantize reported.</summary>
    private void Retest(string name, TempDir dir, string[] common)
    {
        Run("test " + name, ["test", "--model", dir.File(name + ".rstm"), "--plan", dir.File(name + ".json"), "--json", dir.File(name + ".test.json"), .. common]);
        Assert.Equal(Json(dir.File(name + ".result.json")).GetProperty("quantized").GetProperty("top1").GetDouble(),
            Json(dir.File(name + ".test.json")).GetProperty("top1").GetDouble(), 6);
    }

    /// <summary>The report names a non-empty Pareto front of plans it scored, marks them in its table, and draws the front.</summary>
    private static void AssertParetoFront(string folder)
    {
        var report = Json(Path.Combine(folder, "report.json"));
        var front = report.GetProperty("pareto_front").EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.NotEmpty(front);
        var marked = report.GetProperty("plans").EnumerateArray().Where(p => p.GetProperty("pareto").GetBoolean()).Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Equal(front, marked);
        Assert.Contains("Pareto", File.ReadAllText(Path.Combine(folder, "report.md")), StringComparison.Ordinal);
        Assert.Contains("class=\"pareto\"", File.ReadAllText(Path.Combine(folder, "report.html")), StringComparison.Ordinal);
    }

    private void Run(string step, string[] args) => CliProcess.Step(output, step, args);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;
}
