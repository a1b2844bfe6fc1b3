using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Ristretto.Engine;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Interchange.Onnx.Proto;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// ML.NET's ImageNet-trained ResNet18 featurizer (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1), two opset-8
/// models: ResNetPreprocess.onnx (TLC) takes RGB pixels 0 to 255, [1, 3, 224, 224], reverses them to BGR and subtracts a
/// 224×224 BGR mean image (channel averages B 103.06, G 115.90, R 123.15); ResNet18.onnx (CNTK 2.6) takes that and
/// returns the 512 average-pooled features of the last block, [1, 512, 1, 1], with no classifier. CNTK's network is
/// torchvision's ResNet18 with one more basic block in its last stage (blocks 2, 2, 2, 3).
/// </summary>
public class ResNet18FeaturizerTests(ResNet18FeaturizerFixture photos, ITestOutputHelper output) : IClassFixture<ResNet18FeaturizerFixture>
{
    /// <summary>Agreement required with ONNX Runtime: |ours − ORT| ≤ Atol + Rtol·|ORT| for every feature.</summary>
    private const double Atol = 1e-4, Rtol = 1e-4;

    [DnnImageModelsFact]
    public void Should_Reverse_Rgb_To_Bgr_And_Subtract_The_Mean_Image()
    {
        using var prep = OnnxImporter.Load(DnnImageModels.Preprocess);
        Assert.True(ResNet18FeaturizerFixture.TakesOneImage(prep));
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(DnnImageModels.Preprocess));
        Assert.Equal(8, model.OpsetImport.Single().Version);
        Assert.Equal(["Split", "Concat", "Sub"], model.Graph.Node.Select(n => n.OpType));
        var (_, mean) = OnnxTensors.ReadFloats(model.Graph.Initializer.Single(), "ResNetPreprocess.onnx");
        const int plane = ResNet18FeaturizerFixture.Side * ResNet18FeaturizerFixture.Side;
        double[] average = [.. Enumerable.Range(0, 3).Select(c => mean.AsSpan(c * plane, plane).ToArray().Average())];
        Assert.Equal([103.06, 115.90, 123.15], average.Select(a => Math.Round(a, 2)));

        var random = new Random(3);
        var rgb = Enumerable.Range(0, 3 * plane).Select(_ => (float)random.Next(256)).ToArray();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ours = prep.forward(tensor(rgb, [1, 3, 224, 224])).contiguous().data<float>().ToArray();
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < plane; i++)
                Assert.Equal(rgb[(2 - c) * plane + i] - mean[c * plane + i], ours[c * plane + i]);
        using var session = new InferenceSession(DnnImageModels.Preprocess);
        Assert.Equal(ResNet18FeaturizerFixture.RunOrt(session, rgb), ours);
    }

    [DnnImageModelsFact(photographs: true)]
    public void Should_Compute_The_Same_512_Features_As_Onnx_Runtime_On_Photographs()
    {
        output.WriteLine($"models: {DnnImageModels.Folder}");
        double worstAbs = 0, worstRel = 0;
        var failures = new List<string>();
        for (int p = 0; p < photos.Names.Length; p++)
        {
            float[] ours = photos.Ours[p], ort = photos.Ort[p];
            Assert.Equal(ResNet18FeaturizerFixture.Features, ort.Length);
            double maxAbs = 0, scale = ort.Max(Math.Abs);
            int bad = 0;
            for (int i = 0; i < ort.Length; i++)
            {
                double d = Math.Abs(ours[i] - ort[i]);
                maxAbs = Math.Max(maxAbs, d);
                if (!(d <= Atol + Rtol * Math.Abs(ort[i])))
                    bad++;
            }
            worstAbs = Math.Max(worstAbs, maxAbs);
            worstRel = Math.Max(worstRel, maxAbs / scale);
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{photos.Names[p],-22} max feature {scale,8:F4}  max |ours − ORT| {maxAbs:E2} ({maxAbs / scale:E2} of the max)");
            output.WriteLine(line);
            if (bad > 0)
                failures.Add($"{line}: {bad} of {ort.Length} features outside {Atol} + {Rtol}·|ORT|");
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worst: {worstAbs:E2} absolute, {worstRel:E2} relative to the photograph's largest feature"));
        Assert.Empty(failures);
    }

    [DnnImageModelsFact(photographs: true)]
    public void Should_Place_The_Stereo_Pair_Closer_Than_Any_Two_Other_Photographs()
    {
        // ImageNet features, not just equal numbers: the two views of the same motorcycle are each other's nearest photographs.
        int left = Array.IndexOf(photos.Names, "motorcycle_left.png"), right = Array.IndexOf(photos.Names, "motorcycle_right.png");
        Assert.True(left >= 0 && right >= 0, "the stereo pair is among the photographs");
        double pair = Cosine(photos.Ours[left], photos.Ours[right]);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cosine of the stereo pair {pair:F4}"));
        for (int a = 0; a < photos.Names.Length; a++)
            for (int b = a + 1; b < photos.Names.Length; b++)
                if ((a, b) != (Math.Min(left, right), Math.Max(left, right)))
                    Assert.True(Cosine(photos.Ours[a], photos.Ours[b]) < pair, $"{photos.Names[a]} and {photos.Names[b]} are closer than the stereo pair");
    }

    [DnnImageModelsFact]
    public void Should_Import_ResNet18_And_Run_One_Image_On_The_Cpu()
    {
        var clock = Stopwatch.StartNew();
        using var resnet = OnnxImporter.Load(DnnImageModels.ResNet18);
        double import = clock.Elapsed.TotalSeconds;
        Assert.True(ResNet18FeaturizerFixture.TakesOneImage(resnet));
        // torchvision's ResNet18 less its 1000-way classifier, plus a third basic block in the last stage (two 512×512×3×3
        // convolutions and their batch norms): CNTK's network has 22 convolutions where torchvision's has 20.
        Assert.Equal(22, resnet.Nodes.Count(n => n.Layer.Type == "Convolution"));
        Assert.Equal(11_689_512 - 513_000 + 2 * (512 * 512 * 9 + 2 * 512), resnet.parameters().Sum(p => p.numel()));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = randn(1, 3, 224, 224).Times(50);
        var seconds = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            clock.Restart();
            using var y = resnet.forward(x);
            seconds.Add(clock.Elapsed.TotalSeconds);
            Assert.Equal([1L, 512, 1, 1], y.shape);
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"import {import:F2} s; one 224×224 image: first pass {seconds[0] * 1000:F0} ms, then {seconds[1] * 1000:F0} and {seconds[2] * 1000:F0} ms ({get_num_threads()} threads)"));
        if (photos.Names.Length > 0)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fixture: both models imported in {photos.ImportSeconds:F2} s; {photos.Names.Length} photographs in one batch in {photos.BatchSeconds:F2} s"));
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}
