using Ristretto.Formats;
using Ristretto.Interchange.Onnx;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Interchange.Onnx.Proto;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// A LeNet plan exported as QDQ, QOperator and QONNX: ONNX Runtime classifies as the simulation does, the QONNX model
/// imports back into the same plan, and a plan a form cannot express is one error naming the layer.
/// </summary>
public sealed class QuantizedOnnxExportTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(QuantizedOnnxForm.Qdq)]
    [InlineData(QuantizedOnnxForm.QOperator)]
    public void Should_Run_An_Int8_Per_Channel_Plan_In_Onnx_Runtime_As_Simulated(QuantizedOnnxForm form)
    {
        using var lenet = new TrainedLeNet(testImages: 500);
        var plan = QuantizedOnnxPlans.Int8PerChannel(lenet.Net, lenet.Train, lenet.Test);
        using var simulated = new QuantizedNetwork(lenet.Net, plan);
        var model = QuantizedOnnxExporter.Export(lenet.Net, plan, form);
        var (sim, ort, disagree, maxDiff) = QuantizedOnnxPlans.Compare(simulated, model, lenet.Test);
        output.WriteLine($"{form}: simulation {sim:P2}, ONNX Runtime {ort:P2}, {disagree} of {lenet.Test.Count} images differ, max |Δ logit| {maxDiff:G3}");
        Assert.True(sim > 0.5, $"the quantized LeNet scores only {sim:P1}");
        Assert.True(disagree <= 1, $"{disagree} images classified differently");
        var proto = ModelProto.Parser.ParseFrom(model);
        var ops = proto.Graph.Node.Select(n => n.OpType).ToHashSet();
        if (form == QuantizedOnnxForm.Qdq)
            Assert.Contains("QuantizeLinear", ops);
        else
            Assert.Contains("QLinearConv", ops);
        Assert.Equal(PlanFile.Serialize(plan), proto.MetadataProps.Single(p => p.Key == QuantizedOnnxMetadata.PlanKey).Value);
    }

    /// <summary>The Bar of issue 17 on the 10,000 MNIST test images (the default LeNet when it is cached, else one trained on synthetic digits).</summary>
    [MnistCachedFact]
    public void Should_Give_The_Simulated_Top1_In_Onnx_Runtime_On_The_Mnist_Test_Set_Within_0_05_Points()
    {
        bool cached = File.Exists(Ristretto.Jobs.DefaultModels.LeNetMnistPath);
        using var trained = cached ? null : new TrainedLeNet(testImages: 10);
        using var net = cached ? Ristretto.Models.ModelStore.Load(Ristretto.Jobs.DefaultModels.LeNetMnistPath, CPU).Model as Ristretto.Graph.Network : null;
        var lenet = net ?? trained!.Net;
        var files = new Ristretto.Data.DatasetFiles(MnistCachedFactAttribute.Folder);
        using var mnist = new Ristretto.Data.TensorImageSet(files.LoadTest(), CPU);
        using var calibration = new Ristretto.Data.TensorImageSet(files.LoadTrain().Subset(Enumerable.Range(0, 512).ToArray(), "mnist train (512)"), CPU);
        var plan = QuantizedOnnxPlans.Int8PerChannel(lenet, calibration, mnist);
        using var simulated = new QuantizedNetwork(lenet, plan);
        foreach (var form in new[] { QuantizedOnnxForm.Qdq, QuantizedOnnxForm.QOperator })
        {
            var (sim, ort, disagree, maxDiff) = QuantizedOnnxPlans.Compare(simulated, QuantizedOnnxExporter.Export(lenet, plan, form), mnist);
            output.WriteLine($"{form}, MNIST test set ({(cached ? "default LeNet" : "synthetic LeNet")}): simulation {sim:P2}, ONNX Runtime {ort:P2}, " +
                $"Δ {100 * (ort - sim):+0.00;-0.00} pt, {disagree} of {mnist.Count} images classified differently, max |Δ logit| {maxDiff:G3}");
            Assert.InRange(100 * Math.Abs(ort - sim), 0, 0.05);
        }
    }

    [Fact]
    public void Should_Export_A_4_Bit_Dfp_Plan_As_Qonnx_And_Import_The_Same_Plan()
    {
        using var lenet = new TrainedLeNet(testImages: 200);
        var plan = QuantizedOnnxPlans.Dfp(lenet.Net, lenet.Train, lenet.Test, 4, 4, 4);
        var model = QuantizedOnnxExporter.Export(lenet.Net, plan, QuantizedOnnxForm.Qonnx);
        // The graph alone says the plan: strip the embedded copy first.
        var proto = ModelProto.Parser.ParseFrom(model);
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Quant" && n.Domain == QonnxWriter.Domain);
        proto.MetadataProps.Clear();
        using var imported = OnnxImporter.Load(Google.Protobuf.MessageExtensions.ToByteArray(proto), "lenet-qonnx.onnx");
        var back = QuantizationPlan.CarriedBy(imported);
        Assert.Equal(Describe(plan), Describe(back));
        // And it computes what the original plan simulates, bit for bit.
        using var simulated = new QuantizedNetwork(lenet.Net, plan);
        using var noGrad = no_grad();
        var (x, _) = lenet.Test.Slice(0, 100);
        using (x)
        {
            using var expected = simulated.forward(x);
            using var actual = imported.forward(x);
            using var differs = expected.ne(actual);
            Assert.Equal(0L, differs.sum().item<long>());
        }
        output.WriteLine($"QONNX 4-bit DFP: {back.Layers.Count} layers re-imported with the same formats:\n{Describe(back)}");
    }

    [Fact]
    public void Should_Refuse_A_Width_Qdq_Cannot_Hold_Naming_The_Layer()
    {
        using var lenet = new TrainedLeNet(testImages: 10);
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["conv1"] = new(new DynamicFixedPoint(8, 7), null, new DynamicFixedPoint(6, 4), new DynamicFixedPoint(8, 4)),
        });
        var e = Assert.Throws<RistrettoException>(() => QuantizedOnnxExporter.Export(lenet.Net, plan, QuantizedOnnxForm.Qdq));
        Assert.Contains("'conv1'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        // QONNX writes any width.
        Assert.NotEmpty(QuantizedOnnxExporter.Export(lenet.Net, plan, QuantizedOnnxForm.Qonnx));
    }

    [Fact]
    public void Should_Refuse_Minifloat_And_Sub_8_Bit_QOperator_Naming_The_Layer()
    {
        using var lenet = new TrainedLeNet(testImages: 10);
        var minifloat = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["ip1"] = new(new MiniFloat(4, 3), null, new MiniFloat(4, 3), null) });
        foreach (var form in Enum.GetValues<QuantizedOnnxForm>())
        {
            var e = Assert.Throws<RistrettoException>(() => QuantizedOnnxExporter.Export(lenet.Net, minifloat, form));
            Assert.Contains("'ip1'", e.Message, StringComparison.Ordinal);
        }
        var dfp4 = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["conv1"] = new(new DynamicFixedPoint(4, 3), null, new DynamicFixedPoint(4, 2), new DynamicFixedPoint(4, 0)),
        });
        var q = Assert.Throws<RistrettoException>(() => QuantizedOnnxExporter.Export(lenet.Net, dfp4, QuantizedOnnxForm.QOperator));
        Assert.Contains("'conv1'", q.Message, StringComparison.Ordinal);
    }

    private static string Describe(QuantizationPlan plan) =>
        string.Join("\n", plan.Layers.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l =>
            $"{l.Key}: w={l.Value.Weights} b={l.Value.Bias} in={l.Value.Input} out={l.Value.Output}"));
}
