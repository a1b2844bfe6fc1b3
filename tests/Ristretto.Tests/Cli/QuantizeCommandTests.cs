using System.Text.Json;
using Ristretto.Quantization;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Cli;

[Collection("cli")]
public class QuantizeCommandTests
{
    [Fact]
    public void Should_Print_Ristrettos_Table_And_Write_The_Report_And_Plan()
    {
        using var data = SyntheticDigits.WriteDataset(train: 512, test: 200);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path];
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "60", "--batch-size", "32", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);

        var r = CliProcess.Run(["quantize", "--model", dir.File("m.rstm"), "--iterations", "2", "--json", dir.File("q.json"), "--plan", dir.File("plan.json"),
            "--report", dir.File("report"), .. common]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("conv weights", r.StdOut);
        Assert.True(File.Exists(Path.Combine(dir.File("report"), "report.html")), "quantize --report wrote no HTML report");
        var reported = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.File("report"), "report.json"))).RootElement;
        Assert.Contains("\"chosen\"", reported.GetRawText());
        Assert.Contains("Please fine-tune.", r.StdOut);

        var json = JsonDocument.Parse(File.ReadAllText(dir.File("q.json"))).RootElement;
        foreach (var key in new[] { "baseline", "sweeps", "chosen", "quantized", "evaluations", "seconds" })
            Assert.True(json.TryGetProperty(key, out _), $"quantize JSON lacks {key}");
        Assert.True(json.GetProperty("sweeps").GetArrayLength() >= 3);
        // Every combined plan scored, the sweeps' choice first; the last kept one is the chosen plan.
        var last = json.GetProperty("combined").EnumerateArray().Last(t => t.GetProperty("kept").GetBoolean());
        foreach (var part in new[] { "conv_weights", "fc_weights", "activations" })
            Assert.Equal(json.GetProperty("chosen").GetProperty(part).GetRawText(), last.GetProperty(part).GetRawText());
        Assert.Equal(json.GetProperty("quantized").GetProperty("top1").GetDouble(), last.GetProperty("top1").GetDouble());
        Assert.InRange(json.GetProperty("quantized").GetProperty("top1").GetDouble(), 0, 1);
        var plan = PlanFile.Load(dir.File("plan.json"));
        Assert.Equal(new[] { "conv1", "conv2", "ip1", "ip2" }, plan.Layers.Keys.Order());

        // The plan applied by `test` to the float model scores what the search reported (same 2 batches).
        var applied = CliProcess.Run(["test", "--model", dir.File("m.rstm"), "--plan", dir.File("plan.json"), "--iterations", "2", "--json", dir.File("t.json"), .. common]);
        Assert.True(applied.ExitCode == 0, applied.StdErr);
        double top1 = JsonDocument.Parse(File.ReadAllText(dir.File("t.json"))).RootElement.GetProperty("top1").GetDouble();
        Assert.Equal(json.GetProperty("quantized").GetProperty("top1").GetDouble(), top1, 6);
    }

    [Fact]
    public void Should_Run_Minifloat_Mode_On_A_Net_With_LRN_And_Write_LRNRistretto_That_Scores_The_Same()
    {
        using var data = SyntheticDigits.WriteDataset(train: 256, test: 200);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path];
        File.WriteAllText(dir.File("n.prototxt"), """
            name: "lrn"
            layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 28 dim: 28 } } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 5 stride: 2 } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
            layer { name: "norm1" type: "LRN" bottom: "conv1" top: "norm1" lrn_param { local_size: 5 alpha: 0.5 beta: 0.75 } }
            layer { name: "ip1" type: "InnerProduct" bottom: "norm1" top: "ip1" inner_product_param { num_output: 10 } }
            """);
        var r = CliProcess.Run(["quantize", "--model", dir.File("n.prototxt"), "--trimming-mode", "minifloat", "--error-margin", "100", "--iterations", "2",
            "--json", dir.File("q.json"), "--model-quantized", dir.File("q.prototxt"), .. common]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("LRN layers", r.StdOut);
        var json = JsonDocument.Parse(File.ReadAllText(dir.File("q.json"))).RootElement;
        Assert.True(json.GetProperty("lrn_exp_bits").GetProperty("norm1").GetInt32() >= json.GetProperty("chosen").GetProperty("exp_bits").GetInt32());
        Assert.Contains("type: \"LRNRistretto\"", File.ReadAllText(dir.File("q.prototxt")));

        var tested = CliProcess.Run(["test", "--model", dir.File("q.prototxt"), "--weights", dir.File("q.caffemodel"), "--iterations", "2", "--json", dir.File("t.json"), .. common]);
        Assert.True(tested.ExitCode == 0, tested.StdErr);
        double top1 = JsonDocument.Parse(File.ReadAllText(dir.File("t.json"))).RootElement.GetProperty("top1").GetDouble();
        Assert.Equal(json.GetProperty("quantized").GetProperty("top1").GetDouble(), top1, 6);
    }

    [Theory]
    [InlineData("2/2")]
    [InlineData("2/0/8")]
    [InlineData("a/b/c")]
    public void Should_Refuse_Malformed_Widths_In_One_Line(string widths)
    {
        var r = CliProcess.Run(["quantize", "--model", "/nonexistent", "--widths", widths]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"--widths {widths}", Assert.Single(r.ErrorLines));
    }

    [Theory]
    [InlineData("--widths", "4/4/8")]
    [InlineData("--trimming-mode", "minifloat")]
    public void Should_Refuse_No_Widen_Where_Nothing_Is_Combined_In_One_Line(string option, string value)
    {
        var r = CliProcess.Run(["quantize", "--model", "/nonexistent", "--no-widen", option, value]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--no-widen", Assert.Single(r.ErrorLines));
    }

    [Theory]
    [InlineData("--model-quantized", "q.prototxt")]
    [InlineData("--weight-calibration", "mse")]
    public void Should_Refuse_What_Ristrettos_Formats_Cannot_Hold_Or_Compat_Does_Not_Do_In_One_Line(string option, string value)
    {
        string[] compat = option == "--model-quantized" ? [] : ["--compat", "ristretto"];
        var r = CliProcess.Run(["quantize", "--model", "/nonexistent", option, value, .. compat]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--compat ristretto", Assert.Single(r.ErrorLines));
    }

    [Fact]
    public void Should_Refuse_A_Percentile_For_Asymmetric_Integer_Activations_In_One_Line()
    {
        // Integer mode takes percentile:P for symmetric activations (issue 15); an asymmetric range has no |x| percentile.
        var r = CliProcess.Run(["quantize", "--model", "/nonexistent", "--trimming-mode", "integer", "--asymmetric", "--calibration", "percentile:99.9"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--asymmetric activations take --calibration max or mse", Assert.Single(r.ErrorLines));
    }

    [Theory]
    [InlineData("dynamic_fixed_point", "--calibration", "the output error chooses weight ranges")]
    [InlineData("integer", "--calibration", "the output error chooses weight ranges")]
    [InlineData("integer", "--weight-calibration", "is for dynamic fixed point")]
    public void Should_Refuse_Output_Error_Ranges_Where_They_Are_Not_Implemented_In_One_Line(string mode, string option, string message)
    {
        // The network's output error chooses DFP weight lengths only (issue 15, session 5).
        var r = CliProcess.Run(["quantize", "--model", "/nonexistent", "--trimming-mode", mode, option, "output"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, Assert.Single(r.ErrorLines));
    }

    [Fact]
    public void Should_Refuse_A_Trimming_Mode_It_Cannot_Search_In_One_Line()
    {
        var r = CliProcess.Run(["quantize", "--model", "/nonexistent", "--trimming-mode", "posit"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--trimming-mode posit", Assert.Single(r.ErrorLines));
    }
}
