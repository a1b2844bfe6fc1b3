using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Layers;
using Ristretto.Tests.Graph;
using Ristretto.Tests.Interchange.Caffe;
using Ristretto.Zoo;
using Xunit.Abstractions;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// Every zoo network and some imported Caffe nets: the ONNX export re-imports with bit-identical outputs and
/// ONNX Runtime agrees within 1e-4 (of the output's scale) on a random batch of two.
/// </summary>
public class OnnxExportZooTests(ITestOutputHelper output)
{
    public static TheoryData<string> Zoo => new(ModelZoo.Names);

    public static TheoryData<string> CaffeNets => new()
    {
        "cifar10__cifar10_quick_train_test.prototxt",
        "cifar10__cifar10_full_sigmoid_train_test_bn.prototxt",
        "SqueezeNet__train_val.prototxt",
    };

    [Theory]
    [MemberData(nameof(Zoo))]
    public void Should_Export_A_Zoo_Network_That_Reimports_Identically_And_Onnx_Runtime_Agrees(string name)
    {
        using var net = ModelZoo.Create(name, 10, seed: 5);
        NetworkChecks.Randomise(net, 6);
        Check(net, name);
    }

    [Theory]
    [MemberData(nameof(CaffeNets))]
    public void Should_Export_An_Imported_Caffe_Net_That_Reimports_Identically_And_Onnx_Runtime_Agrees(string fixture)
    {
        using var net = CaffeImport.Load(CaffeFixtures.PathOf(fixture), seed: 5);
        net.eval(); // CaffeImport leaves the module in training mode, where Dropout drops
        NetworkChecks.Randomise(net, 6);
        Check(net, fixture);
    }

    private void Check(Ristretto.Graph.Network net, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        byte[] onnx = OnnxExporter.Export(net);
        var exported = clock.Elapsed;
        var input = OnnxRoundTrip.RandomBatch(net, 2, 7, out var shape);
        var ours = OnnxRoundTrip.Ours(net, input, shape);
        var ran = clock.Elapsed;

        using (var back = OnnxImporter.Load(onnx, what + ".onnx"))
        {
            Assert.Equal(net.Outputs, back.Outputs);
            // Weighted layers keep their names (helper nodes of multi-node layers are named "layer/role").
            var weighted = net.Nodes.Where(n => n.Layer.ParameterCount > 0 && n.Layer is not BroadcastLayer).Select(n => n.Layer.LayerName);
            Assert.Subset(back.Nodes.Select(n => n.Layer.LayerName).ToHashSet(), weighted.ToHashSet());
            var again = OnnxRoundTrip.Ours(back, input, shape);
            foreach (var (blob, values) in ours)
                Assert.True(values.SequenceEqual(again[blob]), $"{what}: re-imported output {blob} differs");
        }
        var reimported = clock.Elapsed;

        var ort = OnnxRoundTrip.Ort(onnx, net.Inputs[0].Name, input, shape);
        foreach (var (blob, values) in ours)
            OnnxRoundTrip.AssertClose($"{what} {blob}", values, ort[blob]);
        output.WriteLine($"{what}: {onnx.Length / 1e6:F1} MB, {net.Nodes.Count} layers; export {exported.TotalSeconds:F2} s, " +
            $"our run {(ran - exported).TotalSeconds:F2} s, re-import and run {(reimported - ran).TotalSeconds:F2} s, ONNX Runtime {(clock.Elapsed - reimported).TotalSeconds:F2} s");
    }
}
