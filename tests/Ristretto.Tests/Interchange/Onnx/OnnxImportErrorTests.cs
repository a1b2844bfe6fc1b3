using Google.Protobuf;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Interchange.Onnx.Proto;

namespace Ristretto.Tests.Interchange.Onnx;

public class OnnxImportErrorTests
{
    private static string Message(Action action) => Assert.Throws<RistrettoException>(action).Message;

    [Fact]
    public void Should_Refuse_Malformed_Bytes_In_One_Line()
    {
        string message = Message(() => OnnxImporter.Load([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2], "broken.onnx"));
        Assert.StartsWith("broken.onnx: not a valid ONNX model", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Should_Refuse_A_Truncated_Model()
    {
        var bytes = File.ReadAllBytes(Path.Combine(OnnxFixtures.Ops, "test_Conv2d", "model.onnx"));
        string message = Message(() => OnnxImporter.Load(bytes[..(bytes.Length / 2)], "half.onnx"));
        Assert.StartsWith("half.onnx:", message);
    }

    [Fact]
    public void Should_Name_The_Node_And_Operator_It_Does_Not_Support()
    {
        var bytes = new OnnxModelWriter().Input("x", 1, 3, 4, 4).Node("Resize", ["x"], "up").Output("up").Build();
        Assert.Equal("model.onnx: node 'up' (Resize) uses an operator this version does not support", Message(() => OnnxImporter.Load(bytes)));
    }

    [Fact]
    public void Should_Refuse_External_Data_With_A_Clear_Message()
    {
        var weights = new TensorProto { Name = "w", DataType = 1, Dims = { 4, 3, 3, 3 }, DataLocation = TensorProto.Types.DataLocation.External };
        weights.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        var bytes = new OnnxModelWriter().Input("x", 1, 3, 5, 5).Raw(weights).Node("Conv", ["x", "w"], "y").Output("y").Build();
        string message = Message(() => OnnxImporter.Load(bytes, "big.onnx"));
        Assert.Equal("big.onnx: tensor 'w' keeps its data in an external file, which this version does not read (save the model with its data inside)", message);
    }

    [Fact]
    public void Should_Say_Which_Weight_Must_Be_Constant()
    {
        var bytes = new OnnxModelWriter().Input("x", 1, 3, 5, 5).Node("Relu", ["x"], "w").Node("Conv", ["x", "w"], "y").Output("y").Build();
        string message = Message(() => OnnxImporter.Load(bytes));
        Assert.StartsWith("model.onnx: node 'y' (Conv): weight 'w' must be a constant", message);
    }

    [Fact]
    public void Should_Refuse_Newer_Opsets()
    {
        var bytes = new OnnxModelWriter(opset: 30).Input("x", 1, 4).Node("Relu", ["x"], "y").Output("y").Build();
        Assert.Equal("model.onnx: the model uses opset 30; this version reads opsets up to 21", Message(() => OnnxImporter.Load(bytes)));
    }

    [Fact]
    public void Should_Refuse_A_Tensor_File_Whose_Data_Does_Not_Fit_Its_Shape()
    {
        var t = new TensorProto { Name = "t", DataType = 1, Dims = { 2, 3 }, FloatData = { 1, 2, 3 } };
        Assert.Equal("t.pb: tensor 't' holds 3 values, its shape [2×3] needs 6", Message(() => OnnxTensorFile.Parse(t.ToByteArray(), "t.pb")));
    }
}
