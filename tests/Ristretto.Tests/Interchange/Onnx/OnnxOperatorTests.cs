using Ristretto.Engine;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Models;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>Operators and attribute variants the fixtures do not cover, each checked against ONNX Runtime.</summary>
public class OnnxOperatorTests
{
    private static void AssertAgreesWithOrt(OnnxModelWriter writer, params long[] inputShape)
    {
        var bytes = writer.Build();
        using var net = OnnxImporter.Load(bytes, "case.onnx");
        var random = new Random(11);
        long count = inputShape.Aggregate(1L, (a, d) => a * d);
        var input = new TensorBlob("x", inputShape, Enumerable.Range(0, (int)count).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray());
        OnnxFixtures.AssertClose(OnnxFixtures.RunOrt(bytes, "x", input), OnnxFixtures.RunOurs(net, input), atol: 1e-6);
    }

    private static OnnxModelWriter Conv(params (string, object)[] attributes) =>
        new OnnxModelWriter().Input("x", 1, 3, 9, 8).Weights("w", 4, 3, 3, 3).Weights("b", 4)
            .Node("Conv", ["x", "w", "b"], "y", attributes).Output("y");

    [Fact]
    public void Should_Pad_A_Convolution_Unequally() => AssertAgreesWithOrt(Conv(("pads", new long[] { 0, 1, 2, 1 }), ("strides", new long[] { 2, 1 })), 1, 3, 9, 8);

    [Fact]
    public void Should_Pad_A_Convolution_Same_Upper() => AssertAgreesWithOrt(Conv(("auto_pad", "SAME_UPPER"), ("strides", new long[] { 2, 2 })), 1, 3, 9, 8);

    [Fact]
    public void Should_Pad_A_Convolution_Same_Lower() => AssertAgreesWithOrt(Conv(("auto_pad", "SAME_LOWER"), ("strides", new long[] { 1, 3 })), 1, 3, 9, 8);

    [Fact]
    public void Should_Not_Pad_A_Valid_Convolution() => AssertAgreesWithOrt(Conv(("auto_pad", "VALID"), ("strides", new long[] { 2, 3 })), 1, 3, 9, 8);

    [Fact]
    public void Should_Clip_With_Bounds_As_Inputs() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 5).Scalar("lo", 0).Scalar("hi", 1.5f).Node("Clip", ["x", "lo", "hi"], "y").Output("y"), 2, 5);

    [Fact]
    public void Should_Clip_With_Bounds_As_Attributes_Before_Opset_11() => AssertAgreesWithOrt(
        new OnnxModelWriter(opset: 9).Input("x", 2, 5).Node("Clip", ["x"], "y", ("min", 0f), ("max", 6f)).Output("y"), 2, 5);

    [Fact]
    public void Should_Flatten_Softmax_Input_To_2d_Before_Opset_13() => AssertAgreesWithOrt(
        new OnnxModelWriter(opset: 11).Input("x", 2, 3, 4).Node("Softmax", ["x"], "y", ("axis", 1L)).Output("y"), 2, 3, 4);

    [Fact]
    public void Should_Softmax_One_Axis_From_Opset_13() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 3, 4).Node("LogSoftmax", ["x"], "y", ("axis", 1L)).Output("y"), 2, 3, 4);

    [Fact]
    public void Should_Add_And_Multiply_Broadcast_Constants() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 3, 4, 4).Weights("b", 3, 1, 1).Weights("s", 4)
            .Node("Add", ["x", "b"], "h").Node("Mul", ["s", "h"], "y").Output("y"), 2, 3, 4, 4);

    [Fact]
    public void Should_Combine_Computed_Values_Element_Wise() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 6).Node("Sigmoid", ["x"], "a").Node("Tanh", ["x"], "b")
            .Node("Sum", ["a", "b", "x"], "c").Node("Max", ["c", "a"], "d").Node("Sub", ["d", "b"], "y").Output("y"), 2, 6);

    [Fact]
    public void Should_Multiply_By_A_Constant_Matrix() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 3, 5).Weights("w", 5, 4).Node("MatMul", ["x", "w"], "y").Output("y"), 2, 3, 5);

    [Fact]
    public void Should_Apply_Gemm_Scales_And_Transposes() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 5, 2).Weights("w", 5, 3).Weights("c", 3)
            .Node("Gemm", ["x", "w", "c"], "y", ("alpha", 0.5f), ("beta", 2f), ("transA", 1L)).Output("y"), 5, 2);

    [Fact]
    public void Should_Pool_With_Unequal_Pads_And_Ceil_Mode() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 1, 2, 7, 7)
            .Node("MaxPool", ["x"], "a", ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 0, 0, 1, 1 }))
            .Node("AveragePool", ["a"], "b", ("kernel_shape", new long[] { 2, 2 }), ("pads", new long[] { 0, 0, 1, 1 }))
            .Node("MaxPool", ["b"], "y", ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }), ("ceil_mode", 1L)).Output("y"), 1, 2, 7, 7);

    [Fact]
    public void Should_Pool_With_Pads_Over_Half_The_Window() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 1, 2, 6, 6)
            .Node("MaxPool", ["x"], "a", ("kernel_shape", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }))
            .Node("AveragePool", ["a"], "y", ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 2, 2, 2, 2 }), ("count_include_pad", 1L)).Output("y"), 1, 2, 6, 6);

    [Fact]
    public void Should_Average_Without_Counting_Pads_Wider_Than_Half_The_Window() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 1, 2, 7, 6)
            .Node("AveragePool", ["x"], "y", ("kernel_shape", new long[] { 3, 2 }), ("strides", new long[] { 2, 1 }), ("pads", new long[] { 2, 0, 1, 1 })).Output("y"), 1, 2, 7, 6);

    [Fact]
    public void Should_Pool_In_3d_With_Pads_Strides_And_Ceil_Mode() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 2, 5, 6, 7)
            .Node("MaxPool", ["x"], "a", ("kernel_shape", new long[] { 2, 3, 2 }), ("strides", new long[] { 2, 1, 2 }), ("pads", new long[] { 1, 1, 0, 0, 1, 1 }), ("ceil_mode", 1L))
            .Node("AveragePool", ["a"], "b", ("kernel_shape", new long[] { 2, 2, 3 }), ("pads", new long[] { 1, 0, 1, 1, 1, 0 }))
            .Node("AveragePool", ["b"], "y", ("kernel_shape", new long[] { 3, 2, 2 }), ("strides", new long[] { 1, 2, 1 }), ("pads", new long[] { 1, 1, 1, 1, 1, 1 }), ("count_include_pad", 1L)).Output("y"), 2, 2, 5, 6, 7);

    [Fact]
    public void Should_Multiply_By_A_Constant_Stack_Of_Matrices() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 3, 2, 4, 5).Weights("w", 3, 2, 5, 6).Node("MatMul", ["x", "w"], "y").Output("y"), 3, 2, 4, 5);

    [Fact]
    public void Should_Pool_Globally_And_Concatenate() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 3, 5, 4).Node("GlobalMaxPool", ["x"], "a").Node("GlobalAveragePool", ["x"], "b")
            .Node("Concat", ["a", "b"], "c", ("axis", 1L)).Node("Flatten", ["c"], "y", ("axis", 1L)).Output("y"), 2, 3, 5, 4);

    [Fact]
    public void Should_Reshape_Transpose_Squeeze_And_Pad() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 3, 4).Ints("shape", 0, -1, 2).Ints("axes", 1).Ints("pads", 0, 1, 0, 0, 2, 1).Scalar("v", 0.5f)
            .Node("Reshape", ["x", "shape"], "a").Node("Transpose", ["a"], "b", ("perm", new long[] { 0, 2, 1 }))
            .Node("Unsqueeze", ["b", "axes"], "c").Node("Squeeze", ["c", "axes"], "d").Node("Pad", ["d", "pads", "v"], "y").Output("y"), 2, 3, 4);

    [Fact]
    public void Should_Fold_Constant_Subgraphs_Into_Weights() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 6).Ints("wshape", 4, 6).Ints("one", 1)
            .Node("ConstantOfShape", ["wshape"], "w0").Node("Shape", ["x"], "xs").Node("Gather", ["xs", "one"], "n")
            .Node("Cast", ["w0"], "w1", ("to", 1L)).Node("Transpose", ["w1"], "w")
            .Node("MatMul", ["x", "w"], "h").Node("Elu", ["h"], "e", ("alpha", 0.7f))
            .Node("LeakyRelu", ["e"], "y", ("alpha", 0.2f)).Output("y"), 2, 6);

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    public void Should_Fold_The_Shape_Arithmetic_Of_A_Flatten(int opset)
    {
        var writer = new OnnxModelWriter(opset).Input("x", 2, 3, 2, 2).Ints("zero", 0).Ints("rest", -1).Ints("axes", 0)
            .Node("Shape", ["x"], "s").Node("Gather", ["s", "zero"], "n");
        writer = opset < 13
            ? writer.Node("Unsqueeze", ["n"], "n1", ("axes", new long[] { 0 })).Node("Squeeze", ["n1"], "n2", ("axes", new long[] { 0 }))
            : writer.Node("Unsqueeze", ["n", "axes"], "n1").Node("Squeeze", ["n1", "axes"], "n2");
        AssertAgreesWithOrt(writer.Node("Concat", ["n2", "rest"], "shape", ("axis", 0L))
            .Node("Reshape", ["x", "shape"], "flat").Node("Identity", ["flat"], "y").Output("y"), 2, 3, 2, 2);
    }

    [Fact]
    public void Should_Crop_A_Transposed_Convolution_With_Unequal_Pads() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 1, 2, 4, 5).Weights("w", 2, 3, 3, 3).Weights("b", 3)
            .Node("ConvTranspose", ["x", "w", "b"], "y", ("strides", new long[] { 2, 2 }), ("pads", new long[] { 0, 1, 1, 2 })).Output("y"), 1, 2, 4, 5);

    [Fact]
    public void Should_Convolve_Depthwise_In_1d_With_Padding() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 4, 9).Weights("w", 4, 1, 3)
            .Node("Conv", ["x", "w"], "y", ("group", 4L), ("pads", new long[] { 1, 2 }), ("strides", new long[] { 2 })).Output("y"), 2, 4, 9);

    [Fact]
    public void Should_Split_By_The_Split_Attribute_Before_Opset_13() => AssertAgreesWithOrt(
        new OnnxModelWriter(opset: 8).Input("x", 2, 5, 3).Node("Split", ["x"], ["a", "b", "c"], ("axis", 1L), ("split", new long[] { 2, 1, 2 }))
            .Node("Relu", ["b"], "r").Node("Concat", ["c", "r", "a"], "y", ("axis", 1L)).Output("y"), 2, 5, 3);

    [Fact]
    public void Should_Split_Into_Equal_Parts_Without_Sizes() => AssertAgreesWithOrt(
        new OnnxModelWriter(opset: 8).Input("x", 2, 3, 6).Node("Split", ["x"], ["a", "b", "c"], ("axis", -1L))
            .Node("Concat", ["b", "c", "a"], "y", ("axis", 2L)).Output("y"), 2, 3, 6);

    [Fact]
    public void Should_Split_By_The_Split_Input_From_Opset_13() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 4, 3).Ints("sizes", 3, 1).Node("Split", ["x", "sizes"], ["a", "b"], ("axis", 1L))
            .Node("Concat", ["b", "a"], "y", ("axis", 1L)).Output("y"), 2, 4, 3);

    [Fact]
    public void Should_Split_Into_Num_Outputs_With_A_Smaller_Last_Part_From_Opset_18() => AssertAgreesWithOrt(
        new OnnxModelWriter(opset: 18).Input("x", 2, 7).Node("Split", ["x"], ["a", "b", "c"], ("axis", 1L), ("num_outputs", 3L))
            .Node("Concat", ["c", "b", "a"], "y", ("axis", 1L)).Output("y"), 2, 7);

    [Fact]
    public void Should_Treat_Dropout_With_A_Ratio_Input_As_Identity() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 3, 4).Scalar("ratio", 0.3f).Node("Dropout", ["x", "ratio"], "y").Output("y"), 3, 4);

    [Theory]
    [InlineData("DCR")]
    [InlineData("CRD")]
    public void Should_Move_Depth_To_Space(string mode) => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 8, 3, 2).Node("DepthToSpace", ["x"], "y", ("blocksize", 2L), ("mode", mode)).Output("y"), 2, 8, 3, 2);

    [Fact]
    public void Should_Normalise_A_Batch_In_Inference_Mode() => AssertAgreesWithOrt(
        new OnnxModelWriter().Input("x", 2, 3, 4, 4).Weights("g", 3).Weights("b", 3).Weights("m", 3).Raw(Variance())
            .Node("BatchNormalization", ["x", "g", "b", "m", "v"], "y", ("epsilon", 1e-3f)).Output("y"), 2, 3, 4, 4);

    private static Ristretto.Interchange.Onnx.Proto.TensorProto Variance() =>
        new() { Name = "v", DataType = 1, Dims = { 3 }, FloatData = { 0.5f, 1.5f, 2f } };
}
