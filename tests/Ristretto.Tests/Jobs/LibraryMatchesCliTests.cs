using System.Text.Json.Nodes;
using Ristretto.Data;
using Ristretto.Finetuning;
using Ristretto.Jobs;
using Ristretto.Tests.Support;
using Ristretto.Training;

namespace Ristretto.Tests.Jobs;

/// <summary>
/// A C# caller does what the CLI does through the library's job entries (<see cref="Quantizer"/>, <see cref="Finetuner"/>,
/// <see cref="Reporter"/>), with no CLI type involved, and gets the JSON the CLI writes for the same settings (timings,
/// which differ between any two runs, and output paths aside).
/// </summary>
[Collection("cli")]
public sealed class LibraryMatchesCliTests
{
    [Fact]
    public void Should_Write_The_Same_Json_Through_Quantizer_Finetuner_And_Reporter_As_The_Cli()
    {
        using var data = SyntheticDigits.WriteDataset(train: 512, test: 200);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path, "--threads", "1"];
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "40", "--batch-size", "32", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        TorchSharp.torch.set_num_threads(1);
        var dataSettings = new DataSettings { Data = data.Path, Streaming = new StreamingOptions { Workers = 1 } }.Validate();

        // quantize: Ristretto's DFP sweeps, and the per-layer search after them.
        var cli = CliProcess.Run(["quantize", "--model", dir.File("m.rstm"), "--search", "per-layer", "--error-margin", "3",
            "--json", dir.File("cli-q.json"), "--plan", dir.File("cli-plan.json"), .. common]);
        Assert.True(cli.ExitCode == 0, cli.StdErr);
        var quantized = Quantizer.Run(new QuantizeSettings
        {
            Model = dir.File("m.rstm"), Device = "cpu", Data = dataSettings, DataGiven = true, Search = SearchKind.PerLayer,
            Margin = new ErrorMargin(global::Ristretto.Evaluation.Metric.Top1, 3), PlanPath = dir.File("lib-plan.json"),
        });
        AssertSameJson(File.ReadAllText(dir.File("cli-q.json")), JobJson.Serialize(quantized.ToJson()));
        Assert.Equal(File.ReadAllText(dir.File("cli-plan.json")), File.ReadAllText(dir.File("lib-plan.json")));

        // report: the plan's costs, scored on the data.
        cli = CliProcess.Run(["report", "--model", dir.File("m.rstm"), "--plan", dir.File("cli-plan.json"), "--out", dir.File("cli-report"),
            "--json", dir.File("cli-r.json"), .. common]);
        Assert.True(cli.ExitCode == 0, cli.StdErr);
        var reported = Reporter.Run(new ReportSettings
        {
            Model = dir.File("m.rstm"), Device = "cpu", Plans = [dir.File("cli-plan.json")], Folder = dir.File("lib-report"), Data = dataSettings,
        });
        AssertSameJson(File.ReadAllText(dir.File("cli-r.json")), reported.ToJson());

        // finetune: 20 iterations under the plan, tested twice on the way.
        cli = CliProcess.Run(["finetune", "--model", dir.File("m.rstm"), "--plan", dir.File("cli-plan.json"), "--out", dir.File("cli-ft.rstm"),
            "--iterations", "20", "--batch-size", "16", "--test-interval", "10", "--json", dir.File("cli-ft.json"), .. common]);
        Assert.True(cli.ExitCode == 0, cli.StdErr);
        var options = new FinetuneOptions { Solver = new FinetuneOptions().Solver with { Iterations = 20, BatchSize = 16 }, TestInterval = 10 }.Validate();
        var finetuned = Finetuner.Run(new FinetuneSettings(dir.File("m.rstm"), null, dir.File("cli-plan.json"), null, dir.File("lib-ft.rstm"),
            options, true, null, 0, false, false, "cpu", dataSettings with { Streaming = dataSettings.Streaming with { Seed = options.Solver.Seed } }));
        Assert.False(finetuned.Cancelled);
        AssertSameJson(File.ReadAllText(dir.File("cli-ft.json")).Replace("cli-ft", "lib-ft", StringComparison.Ordinal), JobJson.Serialize(finetuned.ToJson()));
    }

    /// <summary>The two documents are equal once every "seconds" (a timing) is removed.</summary>
    private static void AssertSameJson(string expected, string actual) =>
        Assert.Equal(ResultJson.Without(JsonNode.Parse(expected)!, "seconds"), ResultJson.Without(JsonNode.Parse(actual)!, "seconds"));
}
