using System.Text.Json;
using Ristretto.Formats;
using Ristretto.Quantization;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Cli;

/// <summary>Issue 16 parts 3 and 4 through the CLI: binary/ternary and log modes, learned α, approximate activations.</summary>
[Collection("cli")]
public class ApproximationCliTests
{
    [Theory]
    [InlineData("error: --widths 2/2/8: --trimming-mode binary has 1-bit weights", "quantize", "--trimming-mode", "binary", "--widths", "2/2/8")]
    [InlineData("error: --learn-steps ttq trains the α of binary or ternary weights", "quantize", "--learn-steps", "ttq")]
    [InlineData("error: --keep-float-layers conv1,,ip2: expected comma-separated layer names", "quantize", "--keep-float-layers", "conv1,,ip2")]
    [InlineData("error: --keep-float-layers and --log-activations go with", "quantize", "--trimming-mode", "minifloat", "--log-activations", "2")]
    [InlineData("error: --trimming-mode ternary scores one plan", "quantize", "--trimming-mode", "ternary", "--search", "per-layer")]
    public void Should_Refuse_Bad_Options_In_One_Line_Before_Any_Work(string expected, params string[] args)
    {
        var r = CliProcess.Run([.. args, "--device", "cpu"]);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith(expected, line);
    }

    [Fact]
    public void Should_Quantize_Ternary_With_Log_Activations_Fine_Tune_Alpha_And_Test_An_Approximate_Tanh()
    {
        using var data = SyntheticDigits.WriteDataset(train: 256, test: 100);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path];
        var trained = CliProcess.Run(["train", "--model", "lenet5", "--out", dir.File("m.rstm"), "--iterations", "20", "--batch-size", "32", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);

        var missing = CliProcess.Run(["quantize", "--model", dir.File("m.rstm"), "--keep-float-layers", "conv9", .. common]);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("error: --keep-float-layers conv9: lenet5 has no convolution or inner-product layer of that name", Assert.Single(missing.ErrorLines));

        var quantized = CliProcess.Run(["quantize", "--model", dir.File("m.rstm"), "--trimming-mode", "ternary", "--per-channel", "--widths", "2/2/4",
            "--log-activations", "sqrt2", "--keep-float-layers", "conv1,ip2", "--learn-steps", "ttq", "--plan", dir.File("plan.json"), .. common]);
        Assert.True(quantized.ExitCode == 0, quantized.StdErr);
        var plan = PlanFile.Load(dir.File("plan.json"));
        Assert.True(plan.Layers["conv1"].IsFloat && plan.Layers["ip2"].IsFloat);
        var conv2 = plan.Layers["conv2"];
        Assert.Equal(16, Assert.IsType<TernaryFormat>(conv2.Weights).ChannelCount);
        Assert.Equal(2, Assert.IsType<LogFormat>(conv2.Input).StepsPerOctave);
        Assert.Equal(StepLearning.Ttq, conv2.Learning);

        var tuned = CliProcess.Run(["finetune", "--model", dir.File("m.rstm"), "--plan", dir.File("plan.json"), "--out", dir.File("ft.rstm"),
            "--iterations", "6", "--batch-size", "16", "--test-interval", "0", "--train-rounding", "nearest", .. common]);
        Assert.True(tuned.ExitCode == 0, tuned.StdErr);
        var after = PlanFile.Load(dir.File("ft.plan.json"));
        Assert.NotEqual(conv2.Weights, after.Layers["conv2"].Weights); // α trained

        File.WriteAllText(dir.File("tanh.json"), """
            {"version": 3, "layers": {"tanh1": {"approximation": {"kind": "pwl", "segments": 16, "lo": -4, "hi": 4, "entries": {"kind": "dfp", "bw": 8, "fl": 7}}},
                                      "tanh4": {"approximation": {"kind": "lut", "size": 64, "lo": -4, "hi": 4}}}}
            """);
        var tested = CliProcess.Run(["test", "--model", dir.File("m.rstm"), "--plan", dir.File("tanh.json"), "--json", dir.File("t.json"), .. common]);
        Assert.True(tested.ExitCode == 0, tested.StdErr);
        Assert.True(JsonDocument.Parse(File.ReadAllText(dir.File("t.json"))).RootElement.GetRawText().Length > 0);

        File.WriteAllText(dir.File("bad.json"), """{"version": 3, "layers": {"pool1": {"approximation": {"kind": "pwl", "segments": 16, "lo": -4, "hi": 4}}}}""");
        var bad = CliProcess.Run(["test", "--model", dir.File("m.rstm"), "--plan", dir.File("bad.json"), .. common]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("pool1", Assert.Single(bad.ErrorLines));
    }
}
