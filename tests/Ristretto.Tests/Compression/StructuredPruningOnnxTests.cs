using Ristretto.Data;
using Ristretto.Graph;
using Ristretto.Jobs;
using Ristretto.Models;
using Ristretto.Tests.Support;
using Ristretto.Transforms;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ristretto.Tests.Compression;

/// <summary>
/// A LeNet with half of conv2's filters removed (and ip1 rewired) exports to ONNX and classifies in ONNX Runtime as ours
/// does. On the MNIST test set with the default LeNet pruned here; <c>RISTRETTO_COMPRESSED_MODEL</c> names a compressed
/// .rstm (from <c>compress --prune-filters conv2=0.5</c>) to check instead.
/// </summary>
public class StructuredPruningOnnxTests(ITestOutputHelper output)
{
    [Fact]
    public void Pruned_Filters_Export_And_Classify_The_Same_In_Onnx_Runtime_On_Synthetic_Digits()
    {
        using var trained = new TrainedLeNet(testImages: 300);
        using var pruned = FilterPruning.Apply(trained.Net, "conv2", Enumerable.Range(0, 50).Where(c => c % 2 == 1).ToArray());
        var (ours, ort, disagree) = Ristretto.Tests.Interchange.Onnx.LeNetOnnxTopOneTests.Compare(pruned, trained.Test);
        output.WriteLine($"synthetic: ours {ours:P2}, ONNX Runtime {ort:P2}, {disagree} images classified differently");
        Assert.Equal(ours, ort);
        Assert.Equal(0, disagree);
    }

    [MnistCachedFact]
    public void Pruned_Filters_Classify_The_Same_In_Onnx_Runtime_On_The_Mnist_Test_Set()
    {
        string? given = Environment.GetEnvironmentVariable("RISTRETTO_COMPRESSED_MODEL");
        if (given is null && !File.Exists(DefaultModels.LeNetMnistPath))
            return; // nothing trained on MNIST to prune
        using var source = (Network)ModelStore.Load(given ?? DefaultModels.LeNetMnistPath, CPU).Model;
        using var net = given is null ? FilterPruning.Apply(source, "conv2", Compression.FiltersOf(source)) : null;
        using var mnist = new TensorImageSet(new DatasetFiles(MnistCachedFactAttribute.Folder).LoadTest(), CPU);
        var (ours, ort, disagree) = Ristretto.Tests.Interchange.Onnx.LeNetOnnxTopOneTests.Compare(net ?? source, mnist);
        output.WriteLine($"MNIST, {(given ?? "default LeNet, half of conv2's filters removed (L1), not fine-tuned")}: ours {ours:P2}, ONNX Runtime {ort:P2}, {disagree} images differ");
        Assert.Equal(25L, ((IWeightedLayer)(net ?? source)["conv2"]).Weight.shape[0]);
        Assert.Equal(ours, ort);
    }

    private static class Compression
    {
        public static int[] FiltersOf(Network net) => global::Ristretto.Compression.Filters.Keep(net, "conv2", 0.5, "l1");
    }
}
