using Ristretto.Data;
using Ristretto.Data.Images;
using Ristretto.Data.Sources;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Jobs;
using Ristretto.Models;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ristretto.Tests.Data;

/// <summary>
/// The same images through every source give the same network outputs bit for bit: MNIST (when cached, else synthetic
/// digits) written as a PNG image folder, an ImageData list and an LMDB of Datums against the IDX path; a CIFAR-10 binary
/// folder against the same tensors fed directly.
/// </summary>
public sealed class DataSourceEquivalenceTests(ITestOutputHelper output)
{
    /// <summary>MNIST's test split when cached (all 10,000 images) and the default LeNet when cached; otherwise synthetic ones.</summary>
    private static (ImageSet Test, ImageSet Train, Network Net, string What) Digits()
    {
        string dir = Path.Combine(CachePaths.Root, $"{MnistFetcher.Package}-{MnistFetcher.Version}");
        bool mnist = MnistFetcher.IsComplete(dir, out _);
        var files = mnist ? new DatasetFiles(dir) : null;
        var test = files?.LoadTest() ?? SyntheticDigits.Create(600, seed: 2);
        var train = files?.LoadTrain() ?? SyntheticDigits.Create(300, seed: 1);
        Network net;
        string what;
        if (File.Exists(DefaultModels.LeNetMnistPath))
        {
            net = (Network)ModelStore.Load(DefaultModels.LeNetMnistPath, CPU).Model;
            what = "default LeNet trained on MNIST";
        }
        else
        {
            var trained = new TrainedLeNet(testImages: 10);
            net = trained.Net;
            trained.Train.Dispose();
            trained.Test.Dispose();
            what = "LeNet trained on synthetic digits";
        }
        return (test, train, net, (mnist ? "MNIST" : "synthetic digits") + ", " + what);
    }

    private static byte[] Png(ImageSet set, int i) =>
        ImageCodec.Encode(new DecodedImage(set.Pixels.AsSpan(i * set.Height * set.Width, set.Height * set.Width).ToArray(), set.Height, set.Width, 1, ChannelOrder.Rgb), ".png");

    private static void WriteClassFolders(ImageSet set, string folder)
    {
        for (int i = 0; i < set.Count; i++)
        {
            string dir = Path.Combine(folder, set.Labels[i].ToString("D2", System.Globalization.CultureInfo.InvariantCulture));
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, $"{i:D5}.png"), Png(set, i));
        }
    }

    /// <summary>The logits of every image, in the order the set gives them, and the labels.</summary>
    private static (float[] Logits, long[] Labels) Run(Network net, ImageDataset set)
    {
        var logits = new List<float>();
        var labels = new List<long>();
        using var noGrad = no_grad();
        net.eval();
        for (int start = 0; start < set.Count; start += 100)
        {
            using var scope = NewDisposeScope();
            var (x, y) = set.Slice(start, Math.Min(100, set.Count - start));
            logits.AddRange(net.forward(x).data<float>().ToArray());
            labels.AddRange(y.data<long>().ToArray());
        }
        return ([.. logits], [.. labels]);
    }

    [Fact]
    public void Should_Give_The_Idx_Outputs_Through_An_Image_Folder_An_ImageData_List_And_An_Lmdb()
    {
        var (test, train, net, what) = Digits();
        using var _ = net;
        using var dir = new TempDir();
        // (a) an ImageFolder layout with train/ and val/; the val split holds the test set.
        WriteClassFolders(test, Path.Combine(dir.Path, "folder", "val"));
        WriteClassFolders(train.Subset(Enumerable.Range(0, Math.Min(train.Count, 200)).ToArray(), "train"), Path.Combine(dir.Path, "folder", "train"));
        // (b) an ImageData list in the IDX order; (c) an LMDB of raw Datums in the IDX order (keys sort as written).
        string images = Path.Combine(dir.Path, "images");
        Directory.CreateDirectory(images);
        var lines = new List<string>();
        for (int i = 0; i < test.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(images, $"{i:D5}.png"), Png(test, i));
            lines.Add($"images/{i:D5}.png {test.Labels[i]}");
        }
        File.WriteAllLines(Path.Combine(dir.Path, "val.txt"), lines);
        int size = test.Height * test.Width;
        LmdbSource.Write(Path.Combine(dir.Path, "lmdb"), Enumerable.Range(0, test.Count).Select(i =>
            ($"{i:D8}", LmdbSource.EncodeDatum(test.Labels[i], test.Pixels.AsSpan(i * size, size).ToArray(), 1, test.Height, test.Width))));

        using var idx = new TensorImageSet(test, CPU);
        var (expected, expectedLabels) = Run(net, idx);
        double idxTop1 = Evaluator.Evaluate(net, idx).Top1;
        var shape = net.Inputs[0].Shape;
        foreach (var (spec, name) in new[] { (Path.Combine(dir.Path, "folder"), "image folder"), (Path.Combine(dir.Path, "val.txt"), "ImageData list"), (Path.Combine(dir.Path, "lmdb"), "LMDB") })
        {
            using var job = JobData.Open(new DataSettings { Data = spec }, shape, CPU, eval: true, train: false, calibration: false);
            Assert.Equal(Preprocessing.None, job.Preprocessing);
            // The IDX path scales by 1/256; the same preprocessing here.
            using var streamed = new StreamingImageSet(SourceOf(spec), Preprocessing.Idx, shape[1..], CPU);
            double top1 = Evaluator.Evaluate(net, streamed).Top1;
            var (logits, labels) = Run(net, streamed);
            if (name == "image folder")
            {
                // ImageFolder orders by class folder, then file name: compare image by image through the file names.
                var paths = ((ImageFileSource)streamed.Source).Paths;
                var order = paths.Select(p => int.Parse(Path.GetFileNameWithoutExtension(p), System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                int k = logits.Length / order.Length;
                for (int j = 0; j < order.Length; j++)
                {
                    Assert.Equal(expectedLabels[order[j]], labels[j]);
                    Assert.Equal(expected.AsSpan(order[j] * k, k).ToArray(), logits.AsSpan(j * k, k).ToArray());
                }
            }
            else
            {
                Assert.Equal(expectedLabels, labels);
                Assert.Equal(expected, logits);
            }
            output.WriteLine($"{what}, {test.Count:N0} images: IDX top-1 {idxTop1:P2}, {name} top-1 {top1:P2}");
            Assert.Equal(idxTop1, top1);
        }
    }

    private static IImageSource SourceOf(string spec)
    {
        var source = DataSource.Open(spec);
        if (source.Train is { } t)
            t.Dispose();
        return source.Eval;
    }

    [Fact]
    public void Should_Feed_A_Cifar10_Binary_Folder_As_The_Same_Tensors()
    {
        using var dir = new TempDir();
        var rng = new SplitMix64(11);
        var records = Enumerable.Range(0, 7).Select(_ =>
        {
            var image = new byte[CifarSource.ImageBytes];
            for (int i = 0; i < image.Length; i++)
                image[i] = (byte)rng.NextInt(256);
            return ((byte)rng.NextInt(10), image);
        }).ToList();
        for (int b = 1; b <= 5; b++)
            CifarSource.WriteCifar10(dir.File($"data_batch_{b}.bin"), records.Take(2).ToList());
        CifarSource.WriteCifar10(dir.File("test_batch.bin"), records);
        using var net = ModelZoo.Create("cifar10");
        using var job = JobData.Open(new DataSettings { Data = dir.Path, Preprocessing = Preprocessing.None }, net.Inputs[0].Shape, CPU, eval: true, train: true, calibration: false);
        Assert.Equal(10, job.Train!.Count);
        var (x, y) = job.Eval!.Slice(0, records.Count);
        using var direct = tensor(records.SelectMany(r => r.Item2).Select(v => (float)v).ToArray(), [records.Count, 3, 32, 32]);
        Assert.Equal(direct.data<float>().ToArray(), x.data<float>().ToArray());
        Assert.Equal(records.Select(r => (long)r.Item1).ToArray(), y.data<long>().ToArray());
        using var noGrad = no_grad();
        net.eval();
        Assert.Equal(net.forward(direct).data<float>().ToArray(), net.forward(x).data<float>().ToArray());
        x.Dispose();
        y.Dispose();
    }
}
