using Google.Protobuf;
using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Interchange.Onnx.Exporter;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Interchange.Onnx.Proto;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;
using DataType = Ristretto.Interchange.Onnx.Proto.TensorProto.Types.DataType;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// Quantized ONNX import: a QDQ LeNet written as ONNX Runtime's quantizer writes one imports as a network carrying its
/// plan that classifies as ONNX Runtime does; its plan re-exports; malformed quantized models are one error line.
/// </summary>
public sealed class QuantizedOnnxImportTests(ITestOutputHelper output)
{
    [Fact]
    public void Should_Import_An_Onnx_Runtime_Style_Qdq_Model_That_Scores_As_Onnx_Runtime_Runs_It()
    {
        using var lenet = new TrainedLeNet(testImages: 500);
        var (calibration, _) = lenet.Train.Slice(0, 64);
        byte[] model;
        using (calibration)
            model = OrtStyleQdqModel.Write(lenet.Net, calibration);
        using var imported = OnnxImporter.Load(model, "lenet_qdq.onnx");
        var plan = QuantizationPlan.CarriedBy(imported);
        output.WriteLine(string.Join("\n", plan.Layers.Select(l => $"{l.Key}: w={l.Value.Weights} in={l.Value.Input} out={l.Value.Output}")));
        Assert.Equal(["conv1", "conv2", "ip1", "ip2"], plan.Layers.Keys.Order(StringComparer.Ordinal));
        foreach (var spec in plan.Layers.Values)
        {
            var w = Assert.IsType<IntegerFormat>(spec.Weights);
            Assert.Equal(0, w.ChannelAxis);
            Assert.Equal(8, w.BitWidth);
            Assert.Equal(8, spec.Input!.BitWidth);
            Assert.Equal(8, spec.Output!.BitWidth);
            Assert.Equal(0, spec.Input.Affine!.QMin);
        }
        var (sim, ort, disagree, maxDiff) = QuantizedOnnxPlans.Compare(imported, model, lenet.Test);
        output.WriteLine($"imported QDQ LeNet: ours {sim:P2}, ONNX Runtime {ort:P2}, {disagree} of {lenet.Test.Count} images differ, max |Δ| {maxDiff:G3}");
        Assert.True(sim > 0.5);
        Assert.True(disagree <= 1, $"{disagree} images classified differently");

        // The carried plan scores and re-exports (QDQ again), and ONNX Runtime runs the re-export alike.
        Assert.Equal(sim, Evaluator.Evaluate(imported, lenet.Test).Top1);
        using var floatNet = OnnxImporter.Load(model, "lenet_qdq.onnx", applyQuantization: false);
        var again = QuantizedOnnxExporter.Export(floatNet, plan, QuantizedOnnxForm.Qdq);
        var (_, ortAgain, _, _) = QuantizedOnnxPlans.Compare(imported, again, lenet.Test);
        Assert.Equal(ort, ortAgain, 3);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "scale 0", "positive normal" },
        { "pair scales differ", "share them" },
        { "scale varies along two axes", "vary along one axis" },
        { "floor rounding", "rounding_mode FLOOR" },
        { "quantized before softmax", "cannot hold" },
        { "bitwidth 40", "bitwidth must be" },
        { "unknown qonnx op", "does not support" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Should_Refuse_A_Malformed_Quantized_Model_In_One_Line(string defect, string expected)
    {
        var model = MalformedModel(defect);
        var e = Assert.Throws<RistrettoException>(() => OnnxImporter.Load(model.ToByteArray(), "bad.onnx"));
        output.WriteLine(e.Message);
        Assert.StartsWith("bad.onnx: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    /// <summary>A one-convolution QDQ or QONNX model with <paramref name="defect"/>.</summary>
    private static ModelProto MalformedModel(string defect)
    {
        var g = new GraphProto { Name = "bad" };
        void Init(string name, DataType type, long[] dims, byte[] raw)
        {
            var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
            t.Dims.AddRange(dims);
            g.Initializer.Add(t);
        }
        void Node(string op, string name, string[] inputs, string output, string domain = "", params AttributeProto[] attributes)
        {
            var n = new NodeProto { OpType = op, Name = name, Domain = domain };
            n.Input.AddRange(inputs);
            n.Output.Add(output);
            n.Attribute.AddRange(attributes);
            g.Node.Add(n);
        }
        static byte[] F(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();
        var shape = new TensorShapeProto();
        foreach (long d in new long[] { 1, 1, 4, 4 })
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        g.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
        Init("s", DataType.Float, [], F(defect == "scale 0" ? 0f : 0.5f));
        Init("s2", DataType.Float, [], F(0.25f));
        Init("z", DataType.Uint8, [], [0]);
        Init("w", DataType.Int8, [1, 1, 1, 1], [3]);
        Init("ws", DataType.Float, [], F(0.5f));
        Init("wz", DataType.Int8, [], [0]);
        Init("bits", DataType.Float, [], F(4f));
        Init("zero", DataType.Float, [], F(0f));
        Init("bits40", DataType.Float, [], F(40f));
        string y = "y";
        switch (defect)
        {
            case "scale varies along two axes":
                Init("s4x4", DataType.Float, [1, 1, 4, 4], F(Enumerable.Range(1, 16).Select(i => i / 16f).ToArray()));
                Node("Quant", "quant", ["x", "s4x4", "zero", "bits"], "xq", "qonnx.custom_op.general");
                Node("Relu", "relu", ["xq"], "y");
                break;
            case "floor rounding":
                Node("Quant", "quant", ["x", "s", "zero", "bits"], "xq", "qonnx.custom_op.general",
                    new AttributeProto { Name = "rounding_mode", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("FLOOR") });
                Node("Relu", "relu", ["xq"], "y");
                break;
            case "quantized before softmax":
                Node("Quant", "quant", ["x", "s", "zero", "bits"], "xq", "qonnx.custom_op.general");
                Node("Softmax", "softmax", ["xq"], "y");
                break;
            case "unknown qonnx op":
                Node("Trunc", "trunc", ["x", "s", "zero", "bits", "bits"], "y", "qonnx.custom_op.general");
                break;
            case "bitwidth 40":
                Node("Quant", "quant", ["x", "s", "zero", "bits40"], "xq", "qonnx.custom_op.general");
                Node("Relu", "relu", ["xq"], "y");
                break;
            default:
                Node("QuantizeLinear", "q", ["x", "s", "z"], "xq");
                Node("DequantizeLinear", "dq", ["xq", defect == "pair scales differ" ? "s2" : "s", "z"], "xdq");
                Node("DequantizeLinear", "wdq", ["w", "ws", "wz"], "wf");
                Node("Conv", "conv", ["xdq", "wf"], "y");
                break;
        }
        g.Output.Add(new ValueInfoProto { Name = y });
        var model = new ModelProto { IrVersion = 8, Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "qonnx.custom_op.general", Version = 1 });
        return model;
    }
}
