using System.Text.Json;
using Ristretto.Data;
using Ristretto.Data.Images;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Cli;

/// <summary>Unlabelled images drive the search by output fidelity: SQNR, cosine and agreement with the float network.</summary>
[Collection("cli")]
public class LabelFreeQuantizeTests
{
    [Fact]
    public void Should_Search_On_A_Flat_Folder_Of_Unlabelled_Images_By_Sqnr_And_Refuse_Top1_There()
    {
        using var data = SyntheticDigits.WriteDataset(train: 512, test: 200);
        using var dir = new TempDir();
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "60", "--batch-size", "32", "--device", "cpu", "--data", data.Path]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        string flat = Path.Combine(dir.Path, "photos");
        Directory.CreateDirectory(flat);
        var digits = SyntheticDigits.Create(120, seed: 9);
        for (int i = 0; i < digits.Count; i++)
            File.WriteAllBytes(Path.Combine(flat, $"{i:D3}.png"), ImageCodec.Encode(
                new DecodedImage(digits.Pixels.AsSpan(i * 784, 784).ToArray(), 28, 28, 1, ChannelOrder.Rgb), ".png"));
        string[] common = ["--model", dir.File("m.rstm"), "--device", "cpu", "--data", flat, "--pixel-scale", "0.00390625"];

        var top1 = CliProcess.Run(["quantize", .. common]);
        Assert.Equal(1, top1.ExitCode);
        Assert.Contains("no labels", Assert.Single(top1.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal)));
        var noMargin = CliProcess.Run(["quantize", "--metric", "sqnr", .. common]);
        Assert.Equal(1, noMargin.ExitCode);
        Assert.Contains("--error-margin", noMargin.StdErr);

        var r = CliProcess.Run(["quantize", "--metric", "sqnr", "--error-margin", "20", "--metrics", "cosine,agreement", "--images", "60",
            "--json", dir.File("q.json"), "--plan", dir.File("p.json"), .. common]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("disjoint", r.StdErr); // one split: calibration sampled apart from the evaluated images
        Assert.Contains("SQNR", r.StdOut);
        var json = JsonDocument.Parse(File.ReadAllText(dir.File("q.json"))).RootElement;
        Assert.Equal("sqnr_db", json.GetProperty("metric").GetString());
        double sqnr = json.GetProperty("quantized").GetProperty("sqnr_db").GetDouble();
        Assert.True(sqnr >= 20, $"the chosen plan's SQNR {sqnr} dB is below the 20 dB asked for");
        Assert.InRange(json.GetProperty("quantized").GetProperty("cosine").GetDouble(), 0.9, 1);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("quantized").GetProperty("top1").ValueKind);
        foreach (var sweep in json.GetProperty("sweeps").EnumerateArray())
            Assert.True(sweep.GetProperty("score").ValueKind is JsonValueKind.Number or JsonValueKind.Null);
        // Narrower weights lower the SQNR, width after width. (Activations are not checked: Ristretto's integer-length rule
        // saturates the top half of the logits' range, which SQNR sees even at 16 bits; that is issue 15's to change.)
        var conv = json.GetProperty("sweeps").EnumerateArray().Where(p => p.GetProperty("part").GetString() == "conv weights")
            .Select(p => p.GetProperty("score").GetDouble()).ToList();
        Assert.True(conv.Count >= 2, r.StdOut);
        Assert.True(conv.Zip(conv.Skip(1)).All(pair => pair.First > pair.Second), r.StdOut);
    }
}
