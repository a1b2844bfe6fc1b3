using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Jobs;
using Ristretto.Models;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>A trained LeNet exported to ONNX classifies as ours does, image by image, in ONNX Runtime.</summary>
public class LeNetOnnxTopOneTests(ITestOutputHelper output)
{
    [Fact]
    public void Should_Give_The_Same_Top1_In_Onnx_Runtime_On_Held_Out_Synthetic_Digits()
    {
        using var trained = new TrainedLeNet(testImages: 500);
        var (ours, ort, disagree) = Compare(trained.Net, trained.Test);
        output.WriteLine($"synthetic: ours {ours:P2}, ONNX Runtime {ort:P2}, {disagree} images classified differently");
        Assert.True(ours > 0.5, $"the trained LeNet scores only {ours:P1}");
        Assert.Equal(ours, ort);
        Assert.Equal(0, disagree);
    }

    [MnistCachedFact]
    public void Should_Give_The_Same_Top1_In_Onnx_Runtime_On_The_Mnist_Test_Set_When_It_Is_Cached()
    {
        string dir = MnistCachedFactAttribute.Folder;
        // The default LeNet trained on MNIST when it is cached too (a meaningful accuracy), else the synthetic one.
        bool cached = File.Exists(DefaultModels.LeNetMnistPath);
        using var trained = cached ? null : new TrainedLeNet(testImages: 10);
        using var net = cached ? ModelStore.Load(DefaultModels.LeNetMnistPath, CPU).Model as Network : null;
        using var mnist = new TensorImageSet(new DatasetFiles(dir).LoadTest(), CPU);
        var (ours, ort, disagree) = Compare(net ?? trained!.Net, mnist);
        output.WriteLine($"MNIST test set, {(cached ? "default LeNet trained on MNIST" : "LeNet trained on synthetic digits")}: " +
            $"ours {ours:P2}, ONNX Runtime {ort:P2}, {disagree} of {mnist.Count} images classified differently");
        Assert.Equal(ours, ort);
        Assert.True(disagree <= mnist.Count / 1000, $"{disagree} images classified differently");
    }

    /// <summary>Top-1 by our Evaluator and by ONNX Runtime's argmax, and how many images the two classify differently (a 1×28×28 input named "data").</summary>
    internal static (double Ours, double Ort, int Disagree) Compare(Network net, TensorImageSet set)
    {
        var score = Evaluator.Evaluate(net, set);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(OnnxExporter.Export(net), options);
        int hits = 0, disagree = 0;
        for (int start = 0; start < set.Count; start += 500)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int count = Math.Min(500, set.Count - start);
            var (x, y) = set.Slice(start, count);
            long[] mine = net.forward(x).argmax(1).data<long>().ToArray();
            long[] labels = y.data<long>().ToArray();
            var input = new DenseTensor<float>(x.contiguous().data<float>().ToArray(), [count, 1, 28, 28]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("data", input)]);
            var logits = results[0].AsTensor<float>();
            for (int i = 0; i < count; i++)
            {
                int best = 0;
                for (int c = 1; c < logits.Dimensions[1]; c++)
                    if (logits[i, c] > logits[i, best])
                        best = c;
                hits += best == labels[i] ? 1 : 0;
                disagree += best != mine[i] ? 1 : 0;
            }
        }
        return (score.Top1, (double)hits / set.Count, disagree);
    }
}
