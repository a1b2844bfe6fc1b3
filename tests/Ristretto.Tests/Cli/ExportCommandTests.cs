using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Interchange.Caffe.RistrettoLayers;
using Ristretto.Interchange.Caffe.Writer;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Quantization;
using Ristretto.Tests.Interchange.Onnx;
using Ristretto.Tests.Support;
using Ristretto.Transforms;
using Ristretto.Zoo;

namespace Ristretto.Tests.Cli;

[Collection("cli")]
public class ExportCommandTests
{
    [Fact]
    public void Should_Export_A_Zoo_Network_To_Onnx_With_Batch_Norm_Folded()
    {
        using var dir = new TempDir();
        var r = CliProcess.Run(["export", "--model", "resnet18", "--fold-bn", "--onnx", dir.File("r18.onnx")]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("20 batch norm(s) folded", r.StdOut);
        var model = Ristretto.Interchange.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("r18.onnx")));
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "BatchNormalization");
        Assert.Equal(20, model.Graph.Node.Count(n => n.OpType == "Conv"));

        // The same seed and the same fold in this process give the same network, bit for bit.
        using var zoo = ModelZoo.Create("resnet18");
        using var expected = BatchNormFolding.Fold(zoo);
        using var written = OnnxImporter.Load(dir.File("r18.onnx"));
        AssertSameOutputs(expected, written);
    }

    [Fact]
    public void Should_Export_A_Zoo_Network_As_Caffe_Files_That_CaffeImport_Reads_Back()
    {
        using var dir = new TempDir();
        var r = CliProcess.Run(["export", "--model", "cifar10", "--prototxt", dir.File("c.prototxt"), "--caffemodel", dir.File("c.caffemodel")]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("89,578 parameters", r.StdOut);
        using var zoo = ModelZoo.Create("cifar10");
        using var back = CaffeImport.Load(dir.File("c.prototxt"), dir.File("c.caffemodel"));
        back.eval();
        AssertSameOutputs(zoo, back);
    }

    [Fact]
    public void Should_Write_A_Ristretto_Prototxt_To_Onnx_As_Its_Float_Network_And_Say_So()
    {
        using var dir = new TempDir();
        using var net = LeNet.Build(seed: 5);
        var mini = new Ristretto.Formats.MiniFloat(4, 3);
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["ip1"] = new(mini, mini, mini, mini) });
        CaffeExport.Save(net, plan, dir.File("q.prototxt"), dir.File("q.caffemodel"));

        var r = CliProcess.Run(["export", "--model", dir.File("q.prototxt"), "--weights", dir.File("q.caffemodel"), "--onnx", dir.File("q.onnx")]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("1 Ristretto-quantized layer(s) are written to ONNX as float layers", r.StdErr);
        using var back = OnnxImporter.Load(dir.File("q.onnx"));
        AssertSameOutputs(net, back);
    }

    [Theory]
    [InlineData("give either --onnx OUT or --prototxt OUT with --caffemodel OUT", "--model", "cifar10")]
    [InlineData("give either --onnx OUT or --prototxt OUT with --caffemodel OUT", "--model", "cifar10", "--onnx", "{dir}/a.onnx", "--prototxt", "{dir}/a.prototxt", "--caffemodel", "{dir}/a.caffemodel")]
    [InlineData("--prototxt needs --caffemodel too", "--model", "cifar10", "--prototxt", "{dir}/a.prototxt")]
    [InlineData("unknown model 'resnet-9000'", "--model", "resnet-9000", "--onnx", "{dir}/a.onnx")]
    [InlineData("--weights goes with a Caffe prototxt --model", "--model", "cifar10", "--weights", "{dir}/w.caffemodel", "--onnx", "{dir}/a.onnx")]
    [InlineData("layer 'bn1' (BatchNorm) cannot be written as Caffe yet", "--model", "resnet18", "--prototxt", "{dir}/a.prototxt", "--caffemodel", "{dir}/a.caffemodel")]
    [InlineData("folder", "--model", "cifar10", "--onnx", "{dir}/missing/a.onnx")]
    public void Should_Refuse_In_One_Line_And_Write_Nothing(string message, params string[] args)
    {
        using var dir = new TempDir();
        var r = CliProcess.Run(["export", .. args.Select(a => a.Replace("{dir}", dir.Path, StringComparison.Ordinal))]);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(message, line);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Should_Export_A_Plan_As_Qonnx_That_Imports_Back_With_The_Same_Plan()
    {
        using var dir = new TempDir();
        using var net = LeNet.Build(seed: 5);
        Ristretto.Interchange.Onnx.Exporter.OnnxExporter.Save(net, dir.File("lenet.onnx"));
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["conv1"] = new(new Ristretto.Formats.DynamicFixedPoint(4, 4), null, new Ristretto.Formats.DynamicFixedPoint(8, 7), new Ristretto.Formats.DynamicFixedPoint(4, 0)),
            ["ip2"] = new(new Ristretto.Formats.DynamicFixedPoint(6, 6), null, new Ristretto.Formats.DynamicFixedPoint(5, 2, signed: false), null),
        });
        PlanFile.Save(dir.File("plan.json"), plan);

        var r = CliProcess.Run(["export", "--model", dir.File("lenet.onnx"), "--plan", dir.File("plan.json"), "--onnx", dir.File("q.onnx"), "--qformat", "qonnx"]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("2 quantized layer(s) as qonnx", r.StdOut);
        using var back = OnnxImporter.Load(dir.File("q.onnx"));
        Assert.Equal(PlanFile.Serialize(plan with { Description = "" }), PlanFile.Serialize(QuantizationPlan.CarriedBy(back) with { Description = "" }));

        // The default form is QDQ; a plan a form cannot express is one line naming the layer, and no file.
        r = CliProcess.Run(["export", "--model", dir.File("lenet.onnx"), "--plan", dir.File("plan.json"), "--onnx", dir.File("qdq.onnx")]);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains("'ip2'", line); // its 5-bit input: no QuantizeLinear type holds [0, 31] (conv1's 4 bits are int4)
        Assert.False(File.Exists(dir.File("qdq.onnx")));
    }

    [Theory]
    [InlineData("unknown --qformat 'qqq'", "--qformat", "qqq")]
    [InlineData("--qformat goes with --onnx", "--qformat", "qdq", "--prototxt", "{dir}/a.prototxt", "--caffemodel", "{dir}/a.caffemodel")]
    [InlineData("carries no quantization", "--qformat", "qop")]
    public void Should_Refuse_A_Bad_Quantized_Export_In_One_Line(string message, params string[] args)
    {
        using var dir = new TempDir();
        string[] all = ["export", "--model", "cifar10", .. args.Select(a => a.Replace("{dir}", dir.Path, StringComparison.Ordinal))];
        if (!all.Contains("--prototxt"))
            all = [.. all, "--onnx", dir.File("a.onnx")];
        var r = CliProcess.Run(all);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(message, line);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    private static void AssertSameOutputs(Network expected, Network actual)
    {
        var input = OnnxRoundTrip.RandomBatch(expected, 2, 3, out var shape);
        var a = OnnxRoundTrip.Ours(expected, input, shape);
        var b = OnnxRoundTrip.Ours(actual, input, shape);
        Assert.Equal(a.Values.Single(), b.Values.Single());
    }
}
