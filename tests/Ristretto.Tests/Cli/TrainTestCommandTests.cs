using System.Text.Json;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Cli;

[Collection("cli")]
public class TrainTestCommandTests
{
    [Fact]
    public void Should_Train_Checkpoint_Resume_And_Report_Json()
    {
        using var data = SyntheticDigits.WriteDataset(train: 256, test: 100);
        using var dir = new TempDir();
        string model = dir.File("m.rstm");
        string[] common = ["--device", "cpu", "--data", data.Path, "--batch-size", "16", "--seed", "4"];

        var first = CliProcess.Run(["train", "--out", model, "--iterations", "30", "--json", dir.File("train.json"), .. common]);
        Assert.True(first.ExitCode == 0, first.StdErr);
        var json = JsonDocument.Parse(File.ReadAllText(dir.File("train.json"))).RootElement;
        foreach (var key in new[] { "top1", "top5", "images", "seconds" })
            Assert.True(json.TryGetProperty(key, out _), $"train JSON lacks {key}");
        Assert.InRange(json.GetProperty("top1").GetDouble(), 0, 1);
        Assert.False(File.Exists(model + ".ckpt"));

        var more = CliProcess.Run(["train", "--out", model, "--iterations", "40", "--resume", .. common]);
        Assert.True(more.ExitCode == 0, more.StdErr);
        Assert.Contains("Resuming from", more.StdErr);
        Assert.Contains("for 10 iterations", more.StdOut);

        var test = CliProcess.Run(["test", "--model", model, "--device", "cpu", "--data", data.Path, "--iterations", "3", "--batch-size", "20", "--json", dir.File("test.json")]);
        Assert.True(test.ExitCode == 0, test.StdErr);
        var score = JsonDocument.Parse(File.ReadAllText(dir.File("test.json"))).RootElement;
        Assert.Equal(60, score.GetProperty("images").GetInt32());
        Assert.True(score.GetProperty("top1").GetDouble() > 0.8, test.StdOut);
    }
}
