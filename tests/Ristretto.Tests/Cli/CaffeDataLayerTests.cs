using System.Text.Json;
using Ristretto.Data;
using Ristretto.Data.Images;
using Ristretto.Data.Sources;
using Ristretto.Engine;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Tests.Support;
using static TorchSharp.torch;

namespace Ristretto.Tests.Cli;

/// <summary>A Caffe prototxt's TEST data layer names the data (relative to the prototxt) and its preprocessing.</summary>
[Collection("cli")]
public class CaffeDataLayerTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "..", "shared", "fixtures", "caffe", name);

    [Fact]
    public void Should_Read_Lenets_Test_Lmdb_From_Its_Prototxt_When_No_Data_Is_Given()
    {
        string fixture = Fixture("mnist__lenet_train_test.prototxt");
        Assert.True(File.Exists(fixture), $"fixture {fixture} is missing");
        using var dir = new TempDir();
        File.Copy(fixture, dir.File("lenet.prototxt"));
        var digits = SyntheticDigits.Create(150, seed: 4);
        string lmdb = Path.Combine(dir.Path, "examples", "mnist", "mnist_test_lmdb");
        Directory.CreateDirectory(Path.GetDirectoryName(lmdb)!);
        LmdbSource.Write(lmdb, Enumerable.Range(0, digits.Count).Select(i =>
            ($"{i:D8}", LmdbSource.EncodeDatum(digits.Labels[i], digits.Pixels.AsSpan(i * 784, 784).ToArray(), 1, 28, 28))));

        var fromLayer = CliProcess.Run(["test", "--model", dir.File("lenet.prototxt"), "--device", "cpu", "--json", dir.File("a.json")]);
        Assert.True(fromLayer.ExitCode == 0, fromLayer.StdErr);
        Assert.Contains(fromLayer.ErrorLines, l => l.Contains("Data layer 'mnist'", StringComparison.Ordinal) && l.Contains(lmdb, StringComparison.Ordinal));
        Assert.Contains(fromLayer.ErrorLines, l => l.Contains("scale 0.00390625", StringComparison.Ordinal));
        var explicitData = CliProcess.Run(["test", "--model", dir.File("lenet.prototxt"), "--device", "cpu", "--data", lmdb,
            "--pixel-scale", "0.00390625", "--json", dir.File("b.json")]);
        Assert.True(explicitData.ExitCode == 0, explicitData.StdErr);
        double Top1(string file) => JsonDocument.Parse(File.ReadAllText(file)).RootElement.GetProperty("top1").GetDouble();
        Assert.Equal(Top1(dir.File("b.json")), Top1(dir.File("a.json")));
        Assert.Equal(150, JsonDocument.Parse(File.ReadAllText(dir.File("a.json"))).RootElement.GetProperty("images").GetInt32());

        // A layer whose source is missing: the default data, said on stderr.
        Directory.Delete(lmdb, recursive: true);
        var missing = CliProcess.Run(["test", "--model", dir.File("lenet.prototxt"), "--device", "cpu", "--data", "/no/such/data"]);
        Assert.Equal(1, missing.ExitCode);
    }

    [Fact]
    public void Should_Subtract_Cifar10s_Mean_File_Named_Relative_To_The_Prototxt()
    {
        string fixture = Fixture("cifar10__cifar10_full_train_test.prototxt");
        Assert.True(File.Exists(fixture), $"fixture {fixture} is missing");
        using var dir = new TempDir();
        File.Copy(fixture, dir.File("cifar.prototxt"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "examples", "cifar10"));
        var rng = new SplitMix64(21);
        var mean = new MeanImage(Enumerable.Range(0, 3 * 32 * 32).Select(_ => (float)(rng.NextDouble() * 255)).ToArray(), 3, 32, 32);
        CaffeMeanFile.Save(Path.Combine(dir.Path, "examples", "cifar10", "mean.binaryproto"), mean);
        var images = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, 3 * 32 * 32).Select(_ => (byte)rng.NextInt(256)).ToArray()).ToList();
        string lmdb = Path.Combine(dir.Path, "examples", "cifar10", "cifar10_test_lmdb");
        LmdbSource.Write(lmdb, images.Select((im, i) => ($"{i:D5}", LmdbSource.EncodeDatum(i % 10, im, 3, 32, 32))));

        var layer = CaffeDataLayer.Read(dir.File("cifar.prototxt"))!;
        Assert.Equal(Path.GetFullPath(lmdb), layer.Source);
        Assert.NotNull(layer.Preprocessing.MeanFile);
        using var job = JobData.Open(new DataSettings { Data = layer.Source }, [1, 3, 32, 32], CPU, eval: true, train: false, calibration: false,
            layer.Preprocessing);
        var (x, y) = job.Eval!.Slice(0, 5);
        // Raw Datums are planar as stored; Caffe subtracted the mean image value by value and kept the order.
        var expected = images.SelectMany(im => im.Select((v, k) => v - mean.Data[k])).ToArray();
        Assert.Equal(expected, x.data<float>().ToArray());
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, y.data<long>().ToArray());
        x.Dispose();
        y.Dispose();
    }
}
