using System.Text;
using System.Text.Json;
using Ristretto.Data;
using Ristretto.Data.Sources;
using Ristretto.Engine;
using Ristretto.Models;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Cli;

/// <summary>A model trained here remembers its preprocessing, in the .rstm and in exported ONNX; version-1 files load as before.</summary>
[Collection("cli")]
public class RememberedPreprocessingTests
{
    [Fact]
    public void Should_Feed_A_Trained_Model_As_It_Was_Trained_Through_Rstm_And_Exported_Onnx()
    {
        using var dir = new TempDir();
        var rng = new SplitMix64(5);
        List<(byte, byte[])> Records(int n) => Enumerable.Range(0, n).Select(_ =>
        {
            var image = new byte[CifarSource.ImageBytes];
            for (int i = 0; i < image.Length; i++)
                image[i] = (byte)rng.NextInt(256);
            return ((byte)rng.NextInt(10), image);
        }).ToList();
        for (int b = 1; b <= 5; b++)
            CifarSource.WriteCifar10(dir.File($"data_batch_{b}.bin"), Records(8));
        CifarSource.WriteCifar10(dir.File("test_batch.bin"), Records(20));
        string[] common = ["--device", "cpu", "--data", dir.Path];
        var trained = CliProcess.Run(["train", "--model", "cifar10", "--out", dir.File("m.rstm"), "--iterations", "2", "--batch-size", "8",
            "--pixel-scale", "0.00390625", "--mean", "0.5", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        var remembered = ModelPreprocessing.Read(ModelFile.Load(dir.File("m.rstm")).Metadata, "m.rstm");
        Assert.NotNull(remembered);
        Assert.Equal(0.00390625f, remembered.PixelScale);
        Assert.Equal([0.5f], remembered.Mean!);

        double Top1(string model, params string[] extra)
        {
            string json = dir.File($"{Guid.NewGuid():N}.json");
            var r = CliProcess.Run(["test", "--model", model, "--json", json, .. common, .. extra]);
            Assert.True(r.ExitCode == 0, r.StdErr);
            return JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("top1").GetDouble();
        }
        double explicitly = Top1(dir.File("m.rstm"), "--pixel-scale", "0.00390625", "--mean", "0.5");
        Assert.Equal(explicitly, Top1(dir.File("m.rstm")));
        // A single flag changes that field of the remembered preprocessing, not the rest (CIFAR records are RGB already).
        Assert.Equal(explicitly, Top1(dir.File("m.rstm"), "--channel-order", "rgb"));
        var exported = CliProcess.Run(["export", "--model", dir.File("m.rstm"), "--onnx", dir.File("m.onnx")]);
        Assert.True(exported.ExitCode == 0, exported.StdErr);
        Assert.Equal(explicitly, Top1(dir.File("m.onnx")));
        Assert.Equal(remembered, ModelPreprocessing.FromOnnx(global::Ristretto.Interchange.Onnx.Exporter.OnnxExporter.Metadata(dir.File("m.onnx")), "m.onnx"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Should_Load_An_Older_Model_File_Without_Preprocessing_Or_Compression(int version)
    {
        using var dir = new TempDir();
        using (var net = LeNet.Build(seed: 2))
            ModelFile.Save(dir.File("m.rstm"), ModelStore.Capture("lenet", 10, net, new Dictionary<string, string>()));
        // Rewrite the header's version (3 since the compression section) to what files of earlier builds carry (same length).
        var bytes = File.ReadAllBytes(dir.File("m.rstm"));
        int at = Encoding.ASCII.GetString(bytes).IndexOf("\"version\":3", StringComparison.Ordinal);
        Assert.True(at > 0, "the header names version 3");
        bytes[at + "\"version\":".Length] = (byte)('0' + version);
        File.WriteAllBytes(dir.File("old.rstm"), bytes);
        var data = ModelFile.Load(dir.File("old.rstm"));
        Assert.Null(ModelPreprocessing.Read(data.Metadata, "old.rstm"));
        var (model, _) = ModelStore.Load(dir.File("old.rstm"), CPU);
        model.Dispose();
    }
}
