using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Layers;
using Ristretto.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Onnx;

public class OnnxExportLayerTests
{
    /// <summary>
    /// One network holding every layer type of Ristretto.Layers, with the settings that take a different ONNX
    /// form (dilation, groups, output padding, ceil-mode pooling with padding, LRN across and within channels,
    /// sum coefficients, a three-way product, a bias-less inner product, a clip with one bound, ...).
    /// </summary>
    private static Network EveryLayer(bool withSlice)
    {
        long n = 0;
        Parameter P(params long[] shape)
        {
            using var g = new TorchSharp.torch.Generator((ulong)(++n));
            var p = new Parameter(rand(shape, generator: g).Times(0.5).Plus(0.25));
            p.DetachFromDisposeScope();
            return p;
        }
        using var mean = rand(8).Minus(0.5);
        using var variance = rand(8).Plus(0.5);
        var b = new NetworkBuilder("every-layer").Input("data", 1, 4, 9, 9)
            .Add(new ConvolutionLayer("conv", P(8, 2, 3, 3), P(8), new ConvolutionLayer.Geometry((3, 3), (1, 1), (2, 2), (2, 2), 2)), "data", "conv")
            .Add(new BatchNormLayer("bn", mean, variance, P(8), P(8), 1e-3), "conv", "bn")
            .Add(new BatchNormLayer("bn_plain", mean, variance, null, null), "bn", "bn_plain")
            .Add(new BroadcastLayer("scale", BroadcastLayer.Operation.Multiply, P(8, 1, 1)), "bn_plain", "scaled")
            .Add(new BroadcastLayer("shift", BroadcastLayer.Operation.Add, P(8, 1, 1)), "scaled", "shifted")
            .Add(new PReLULayer("prelu", P(8, 1, 1)), "shifted", "prelu")
            .Add(new EluLayer("elu", 0.7), "prelu", "elu")
            .Add(new ReLULayer("leaky", 0.1), "elu", "leaky")
            .Add(new PoolingLayer("pool1", PoolingLayer.Method.Max, (3, 3), (2, 2), (1, 1)), "leaky", "pool1")
            .Add(new LrnLayer("lrn_across", 3, 0.01, 0.75, 2), "pool1", "lrn_across")
            .Add(new DeconvolutionLayer("up", P(8, 2, 3, 3), P(4), new ConvolutionLayer.Geometry((3, 3), (2, 2), (1, 1), (1, 1), 2), (1, 1)), "lrn_across", "up")
            .Add(new SigmoidLayer("sigmoid"), "up", "sigmoid")
            .Add(new LrnLayer("lrn_within", 3, 0.5, 0.75, withinChannel: true), "sigmoid", "lrn_within")
            .Add(new PoolingLayer("pool2", PoolingLayer.Method.Average, (3, 3), (2, 2), (1, 1)), "lrn_within", "pool2")
            .Add(new TanhLayer("tanh"), "pool2", "tanh")
            .Add(new EluLayer("selu", 1.6732632423543772, 1.0507009873554805), "pool2", "selu")
            .Add(new ClipLayer("clip", null, 0.5), "pool2", "clip")
            .Add(new PowerLayer("power", 2, 0.5, 1), "pool2", "power")
            .Add(new EltwiseLayer("wsum", EltwiseLayer.Operation.Sum, [0.5, 2]), ["tanh", "selu"], ["wsum"])
            .Add(new EltwiseLayer("prod", EltwiseLayer.Operation.Prod), ["wsum", "clip", "power"], ["prod"])
            .Add(new EltwiseLayer("max", EltwiseLayer.Operation.Max), ["prod", "tanh"], ["max"])
            .Add(new EltwiseLayer("sub", EltwiseLayer.Operation.Sum, [1, -1]), ["max", "clip"], ["sub"])
            .Add(new ConcatLayer("cat"), ["sub", "prod"], ["cat"])
            .Add(new PadLayer("pad", [0, 0, 1, 0, 0, 0, 0, 2], -1), "cat", "pad")
            .Add(new TransposeLayer("transpose", [0, 1, 3, 2]), "pad", "transpose");
        if (withSlice)
        {
            // Run-time codes, as a lone QuantizeLinear/DequantizeLinear imports: written as float Div, Round, Add, Clip and Sub, Mul.
            b.Add(new SliceLayer("slice", [0, 1, 0, 1], [-1, 6, -1, 5]), "transpose", "slice")
                .Add(new QuantizeLinearLayer("quantize", [0.01f, 0.02f, 0.03f, 0.04f, 0.05f, 0.06f], [3, 0, 7, 1, 2, 5], 1, 0, 255), "slice", "codes")
                .Add(new DequantizeLinearLayer("dequantize", [0.01f, 0.02f, 0.03f, 0.04f, 0.05f, 0.06f], [3, 0, 7, 1, 2, 5], 1), "codes", "dequantized");
        }
        return b
            .Add(new PoolingLayer("gmax", PoolingLayer.Method.Max, (1, 1), (1, 1), (0, 0), global: true), withSlice ? "dequantized" : "transpose", "gmax")
            .Add(new FlattenLayer("flatten"), "gmax", "flatten")
            .Add(new ReshapeLayer("reshape", [0, -1]), "transpose", "reshape")
            .Add(new InnerProductLayer("ip", P(5, 8 * 8 * 7), null), "reshape", "ip")
            .Add(new DropoutLayer("dropout", 0.3), "ip", "dropout")
            .Add(new SoftmaxLayer("softmax"), "dropout", "prob")
            .Add(new LogSoftmaxLayer("logsoftmax"), "dropout", "logprob")
            .Build();
    }

    [Fact]
    public void Should_Cover_Every_Layer_Type_And_Agree_With_Onnx_Runtime()
    {
        using var net = EveryLayer(withSlice: true);
        net.eval();
        var types = typeof(Layer).Assembly.GetTypes()
            .Where(t => t.Namespace == "Ristretto.Layers" && t.IsSubclassOf(typeof(Layer)) && !t.IsAbstract).ToHashSet();
        var used = net.Nodes.Select(n => n.Layer.GetType()).ToHashSet();
        Assert.Empty(types.Except(used).Select(t => t.Name));

        byte[] onnx = OnnxExporter.Export(net);
        var input = OnnxRoundTrip.RandomBatch(net, 3, 11, out var shape);
        var ours = OnnxRoundTrip.Ours(net, input, shape);
        var ort = OnnxRoundTrip.Ort(onnx, "data", input, shape);
        Assert.Equal(net.Outputs.Order(), ort.Keys.Order());
        foreach (var (blob, values) in ours)
            OnnxRoundTrip.AssertClose(blob, values, ort[blob]);
    }

    [Fact]
    public void Should_Reimport_Every_Layer_Type_Our_Importer_Reads_With_The_Same_Outputs()
    {
        // The importer reads Slice only between constants, and no Round (the quantizing layer's float form), so this network leaves them out.
        using var net = EveryLayer(withSlice: false);
        net.eval();
        using var back = OnnxImporter.Load(OnnxExporter.Export(net), "every-layer.onnx");
        var input = OnnxRoundTrip.RandomBatch(net, 2, 12, out var shape);
        var ours = OnnxRoundTrip.Ours(net, input, shape);
        var again = OnnxRoundTrip.Ours(back, input, shape);
        Assert.Equal(net.Outputs, back.Outputs);
        foreach (var (blob, values) in ours)
            OnnxRoundTrip.AssertClose(blob, values, again[blob], 1e-6); // sum coefficients become Mul + Sum: rounding may differ
    }

    [Fact]
    public void Should_Declare_A_Symbolic_Batch_So_Onnx_Runtime_Runs_Any_Batch_Size()
    {
        using var net = Ristretto.Zoo.LeNet.Build(seed: 2);
        var model = Ristretto.Interchange.Onnx.Proto.ModelProto.Parser.ParseFrom(OnnxExporter.Export(net));
        var input = model.Graph.Input.Single();
        Assert.Equal("data", input.Name);
        Assert.Equal("N", input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal([1L, 28, 28], input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue));
        Assert.Equal(["N", ""], model.Graph.Output.Single().Type.TensorType.Shape.Dim.Select(d => d.DimParam));
        Assert.Equal(13, model.OpsetImport.Single().Version);
        Assert.Equal(["conv1", "pool1", "conv2", "pool2", "ip1/flatten", "ip1", "relu1", "ip2"], model.Graph.Node.Select(n => n.Name));
        Assert.Contains(model.Graph.Initializer, t => t.Name == "conv1.weight");
    }

    [Fact]
    public void Should_Name_A_Layer_With_No_Onnx_Form_And_Leave_The_Old_File_In_Place()
    {
        var conv = new ConvolutionLayer("conv", new Parameter(ones(2, 1, 3, 3)), null, ConvolutionLayer.Geometry.Square(3));
        using var net = new NetworkBuilder("odd").Input("data", 1, 1, 5, 5).Add(conv, "data", "conv").Add(new OddLayer("strange"), "conv", "odd").Build();
        var e = Assert.Throws<RistrettoException>(() => OnnxExporter.Export(net));
        Assert.Contains("layer 'strange' (Odd) has no ONNX form", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        using var dir = new TempDir();
        File.WriteAllText(dir.File("net.onnx"), "old");
        Assert.Throws<RistrettoException>(() => OnnxExporter.Save(net, dir.File("net.onnx")));
        Assert.Equal("old", File.ReadAllText(dir.File("net.onnx")));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Should_Save_Atomically_What_Export_Returns()
    {
        using var net = Ristretto.Zoo.LeNet.Build(seed: 3);
        using var dir = new TempDir();
        OnnxExporter.Save(net, dir.File("lenet.onnx"));
        Assert.Equal(OnnxExporter.Export(net), File.ReadAllBytes(dir.File("lenet.onnx")));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    private sealed class OddLayer(string name) : Layer(name)
    {
        public override string Type => "Odd";

        public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

        public override Tensor[] forward(Tensor[] inputs) => [inputs[0].alias()];
    }
}
