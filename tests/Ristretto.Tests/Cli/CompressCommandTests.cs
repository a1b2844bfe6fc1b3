using System.Text.Json;
using Ristretto.Graph;
using Ristretto.Models;
using Ristretto.Tests.Support;
using TorchSharp;

namespace Ristretto.Tests.Cli;

[Collection("cli")]
public class CompressCommandTests
{
    [Fact]
    public void Compress_Writes_One_Model_With_Masks_And_Codebooks_That_Test_Export_And_Report_Accept()
    {
        using var data = SyntheticDigits.WriteDataset(train: 512, test: 200);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path];
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "40", "--batch-size", "32", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);

        var r = CliProcess.Run(["compress", "--model", dir.File("m.rstm"), "--prune", "0.9", "--prune-steps", "2", "--share", "conv2=3,ip1=4",
            "--prune-filters", "conv1=0.5", "--low-rank", "ip2=rank:5", "--out", dir.File("c.rstm"), "--iterations", "12", "--batch-size", "16",
            "--test-interval", "0", "--json", dir.File("c.json"), .. common]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("storage = codes + codebook + positions + biases", r.StdOut);
        Assert.False(File.Exists(dir.File("c.rstm.ckpt")));
        Assert.True(File.Exists(dir.File("c.plan.json")));
        var json = JsonDocument.Parse(File.ReadAllText(dir.File("c.json"))).RootElement;
        double ratio = json.GetProperty("compression").GetProperty("ratio").GetDouble();
        Assert.True(ratio > 5, $"ratio {ratio}");

        // The file replays the structure edits and holds masks and codebooks that match its weights.
        var data3 = ModelFile.Load(dir.File("c.rstm"));
        var section = CompressionSection.Read(data3.Metadata, "c.rstm")!;
        Assert.Equal(2, section.Structure.Count);
        var (model, _) = ModelStore.Load(dir.File("c.rstm"), torch.CPU);
        using (model)
        {
            var net = (Network)model;
            Assert.Equal(10L, ((IWeightedLayer)net["conv1"]).Weight.shape[0]);
            Assert.Equal(5L, ((IWeightedLayer)net["ip2_lowrank"]).Weight.shape[0]);
            foreach (var name in new[] { "conv2", "ip1" })
            {
                var w = ((IWeightedLayer)net[name]).Weight.detach().flatten().data<float>().ToArray();
                var kept = section.Layers[name].MaskBits();
                Assert.All(w.Where((_, i) => !kept[i]), v => Assert.Equal(0f, v));
                Assert.InRange(kept.Count(k => k) / (double)kept.Length, 0.09, 0.11);
                var book = section.Layers[name].Codebook!;
                Assert.All(w.Where((_, i) => kept[i]), v => Assert.Contains(v, book));
            }
        }

        var tested = CliProcess.Run(["test", "--model", dir.File("c.rstm"), "--json", dir.File("t.json"), .. common]);
        Assert.True(tested.ExitCode == 0, tested.StdErr);
        Assert.Equal(json.GetProperty("after").GetProperty("top1").GetDouble(),
            JsonDocument.Parse(File.ReadAllText(dir.File("t.json"))).RootElement.GetProperty("top1").GetDouble(), 6);
        var exported = CliProcess.Run(["export", "--model", dir.File("c.rstm"), "--onnx", dir.File("c.onnx")]);
        Assert.True(exported.ExitCode == 0, exported.StdErr);
        var reported = CliProcess.Run(["report", "--model", dir.File("c.rstm"), "--out", dir.File("report"), "--device", "cpu"]);
        Assert.True(reported.ExitCode == 0, reported.StdErr);
        Assert.Contains("weight sharing", File.ReadAllText(Path.Combine(dir.File("report"), "compression.md")));
        // report.json (and report --json) carry the storage formula's numbers too, the same as compress --json.
        var reportJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.File("report"), "report.json"))).RootElement.GetProperty("compression");
        Assert.Equal(json.GetProperty("compression").GetProperty("stored_bits").GetInt64(), reportJson.GetProperty("stored_bits").GetInt64());
    }

    [Theory]
    [InlineData("--prune", "1.5", "outside [0, 1)")]
    [InlineData("--share", "conv1=10", "larger than the 500 weights layer 'conv1' keeps")]
    [InlineData("--low-rank", "ip1=rank:501", "above the layer's rank 500")]
    [InlineData("--prune-filters", "ip2=0.5", "reach the network output")]
    public void Bad_Input_Is_One_Error_Line_And_No_File(string option, string value, string message)
    {
        using var data = SyntheticDigits.WriteDataset(train: 64, test: 20);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path];
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "2", "--batch-size", "16", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        var r = CliProcess.Run(["compress", "--model", dir.File("m.rstm"), option, value, "--out", dir.File("x.rstm"), "--iterations", "4", .. common]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, Assert.Single(r.ErrorLines));
        Assert.Empty(Directory.GetFiles(dir.Path, "x.*"));
    }
}
