using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;

namespace Ristretto.Tests.Interchange.Caffe;

public class CaffeNetValidatorTests
{
    private static CaffeBlobFlow Validate(string text) =>
        CaffeNet.FromText(text, "v.prototxt", null, null, new NetState { Phase = Phase.Test }).Flow;

    private static string ErrorOf(string text) => Assert.Throws<RistrettoException>(() => Validate(text)).Message;

    [Fact]
    public void Should_Recognise_In_Place_Layers_And_Find_The_Outputs()
    {
        var flow = Validate("""
            layer { name: 'in' type: 'Input' top: 'x' }
            layer { name: 'conv' type: 'Convolution' bottom: 'x' top: 'c' }
            layer { name: 'relu' type: 'ReLU' bottom: 'c' top: 'c' }
            layer { name: 'a' type: 'Pooling' bottom: 'c' top: 'a' }
            layer { name: 'b' type: 'Pooling' bottom: 'c' top: 'b' }
            layer { name: 'cat' type: 'Concat' bottom: 'a' bottom: 'b' top: 'cat' }
            layer { name: 'side' type: 'Softmax' bottom: 'a' top: 'side' }
            """);
        Assert.Equal(["relu"], flow.InPlaceLayers);
        Assert.Equal(["cat", "side"], flow.Outputs);
    }

    [Fact]
    public void Should_Accept_Net_Level_Inputs_Of_Old_Deploy_Nets()
    {
        var flow = Validate("input: 'data' input_shape { dim: [1, 3, 4, 4] } layer { name: 'r' type: 'ReLU' bottom: 'data' top: 'out' }");
        Assert.Equal("data", flow.Inputs.Single().Name);
        Assert.Equal([1L, 3, 4, 4], flow.Inputs.Single().Shape!);
        var old = Validate("input: 'data' input_dim: 1 input_dim: 2 input_dim: 3 input_dim: 4 layer { name: 'r' type: 'ReLU' bottom: 'data' top: 'data' }");
        Assert.Equal([1L, 2, 3, 4], old.Inputs.Single().Shape!);
        Assert.Equal(["data"], old.Outputs);
    }

    [Fact]
    public void Should_Name_A_Bottom_That_No_Earlier_Layer_Produces()
    {
        Assert.Equal("v.prototxt:2:1: layer 'conv' (Convolution) reads blob 'dat', which no earlier layer produces and no net input declares",
            ErrorOf("layer { name: 'in' type: 'Input' top: 'data' }\nlayer { name: 'conv' type: 'Convolution' bottom: 'dat' top: 'c' }"));
        Assert.Contains("reads blob 'later'",
            ErrorOf("layer { name: 'a' type: 'ReLU' bottom: 'later' top: 'y' }\nlayer { name: 'b' type: 'Input' top: 'later' }"));
    }

    [Fact]
    public void Should_Refuse_Duplicate_Layer_Names_Within_A_Phase()
    {
        Assert.Equal("v.prototxt:3:3: layer name 'x' is used twice in this phase (first at v.prototxt:1:1)",
            ErrorOf("layer { name: 'x' type: 'Input' top: 'a' }\n\n  layer { name: 'x' type: 'ReLU' bottom: 'a' top: 'a' }"));
    }

    [Fact]
    public void Should_Allow_The_Same_Layer_Name_In_Different_Phases()
    {
        var flow = Validate("layer { name: 'd' type: 'Input' top: 'a' include { phase: TRAIN } }\nlayer { name: 'd' type: 'Input' top: 'a' include { phase: TEST } }");
        Assert.Equal(["a"], flow.Outputs);
    }

    [Fact]
    public void Should_Refuse_A_Blob_Written_By_Two_Layers_Unless_In_Place()
    {
        Assert.Equal("v.prototxt:2:1: layer 'b' writes blob 'y', which layer 'a' already produces; only an in-place layer (top named as its bottom in the same position) may write it again",
            ErrorOf("layer { name: 'a' type: 'Input' top: 'y' }\nlayer { name: 'b' type: 'Input' top: 'y' }"));
        Assert.Contains("writes blob 'x'",
            ErrorOf("layer { name: 'a' type: 'Input' top: 'x' top: 'y' }\nlayer { name: 'b' type: 'Eltwise' bottom: 'y' bottom: 'x' top: 'x' }"));
    }

    [Theory]
    [InlineData("layer { type: 'Input' top: 'a' }", "v.prototxt:1:1: layer #1 has no name")]
    [InlineData("layer { name: 'a' top: 'a' }", "v.prototxt:1:1: layer 'a' has no type")]
    [InlineData("input: 'a' input: 'b' input_dim: [1, 2, 3, 4]", "v.prototxt: the net declares 2 input(s), so it needs 8 input_dim values, not 4")]
    [InlineData("input: 'a' input_shape { } input_shape { }", "v.prototxt: the net declares 1 input(s) but 2 input_shape(s)")]
    [InlineData("input: 'a' input: 'a'", "v.prototxt: net input 'a' is declared twice")]
    [InlineData("name: 'empty'", "v.prototxt defines no layers; is it a Caffe net (not a solver)?")]
    public void Should_Give_One_Clear_Line_For_Other_Structural_Errors(string text, string expected)
    {
        Assert.Equal(expected, ErrorOf(text));
    }
}
