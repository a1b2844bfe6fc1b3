using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;

namespace Ristretto.Tests.Interchange.Caffe;

public class TextFormatErrorTests
{
    private static string ErrorOf(string text) =>
        Assert.Throws<RistrettoException>(() => CaffePrototxt.ParseNet(text, "lenet.prototxt")).Message;

    [Fact]
    public void Should_Name_An_Unknown_Field_With_Its_Message_Type_And_Position()
    {
        const string text = "name: \"LeNet\"\nlayer {\n  name: \"conv1\"\n  convolution_param {\n    kernal_size: 5\n  }\n}\n";
        Assert.Equal("lenet.prototxt:5:5: unknown field 'kernal_size' in ConvolutionParameter", ErrorOf(text));
    }

    [Fact]
    public void Should_Point_At_The_Opening_Quote_Of_An_Unterminated_String()
    {
        Assert.Equal("lenet.prototxt:2:9: unterminated string (no closing quote on its line)",
            ErrorOf("layer {\n  name: \"conv1\n  type: \"ReLU\"\n}\n"));
        Assert.Equal("lenet.prototxt:1:7: unterminated string (no closing quote on its line)", ErrorOf("name: 'abc"));
    }

    [Fact]
    public void Should_Report_A_Missing_Closing_Brace_At_The_End_Naming_Where_The_Block_Opened()
    {
        Assert.Equal("lenet.prototxt:4:1: missing '}' at the end of the file (to close the block opened at 1:7)",
            ErrorOf("layer {\n  name: \"a\"\n  convolution_param { num_output: 2 }\n"));
    }

    [Fact]
    public void Should_List_The_Allowed_Names_For_A_Bad_Enum_Value()
    {
        Assert.Equal("lenet.prototxt:3:11: unknown value 'MAXIMUM' for field 'pool' (enum PoolMethod: MAX, AVE, STOCHASTIC)",
            ErrorOf("layer {\n  pooling_param {\n    pool: MAXIMUM\n  }\n}"));
        Assert.Equal("lenet.prototxt:1:26: 7 is not a value of enum Phase (field 'phase')", ErrorOf("layer { include { phase: 7 } }"));
    }

    [Fact]
    public void Should_Refuse_A_Value_Of_The_Wrong_Type()
    {
        Assert.Equal("lenet.prototxt:2:35: expected an integer for field 'num_output', found string \"x\"",
            ErrorOf("layer {\n  convolution_param { num_output: \"x\" }\n}"));
        Assert.Equal("lenet.prototxt:1:41: expected an integer for field 'num_output', found '2.5'",
            ErrorOf("layer { convolution_param { num_output: 2.5 } }"));
        Assert.Equal("lenet.prototxt:1:7: expected a quoted string for field 'name', found 'conv1'", ErrorOf("name: conv1"));
        Assert.Equal("lenet.prototxt:1:40: expected true or false for field 'bias_term', found 'yes'",
            ErrorOf("layer { convolution_param { bias_term: yes } }"));
    }

    [Fact]
    public void Should_Refuse_Numbers_Out_Of_Range_For_Their_Field()
    {
        Assert.Equal("lenet.prototxt:1:42: -1 is out of range for uint32 field 'num_output'",
            ErrorOf("layer { convolution_param { num_output: -1 } }"));
        Assert.Equal("lenet.prototxt:1:35: 4294967296 is out of range for int32 field 'axis'",
            ErrorOf("layer { convolution_param { axis: 4294967296 } }"));
    }

    [Fact]
    public void Should_Refuse_A_Singular_Field_Given_Twice()
    {
        Assert.Equal("lenet.prototxt:2:1: field 'name' is given twice in NetParameter", ErrorOf("name: 'a'\nname: 'b'"));
    }

    [Fact]
    public void Should_Explain_How_To_Upgrade_The_Old_V1_Layers_Syntax()
    {
        string message = ErrorOf("name: 'old'\nlayers {\n  name: 'conv1'\n  type: CONVOLUTION\n}");
        Assert.StartsWith("lenet.prototxt:2:1: uses the old V1 'layers' syntax; upgrade it with Caffe's upgrade_net_proto_text", message);
    }

    [Theory]
    [InlineData("layer { name: 'a' } }", "lenet.prototxt:1:21: expected a field name of NetParameter, found '}'")]
    [InlineData("layer { name 'a' }", "lenet.prototxt:1:14: expected ':' after 'name', found string 'a'")]
    [InlineData("layer name: 'a'", "lenet.prototxt:1:7: expected '{' to start message 'layer', found 'name'")]
    [InlineData("name: ['a']", "lenet.prototxt:1:7: field 'name' is not repeated; a [list] needs a repeated field")]
    [InlineData("layer { bottom: ['a' 'b' 3] }", "lenet.prototxt:1:26: expected ',' or ']' in the list of 'bottom', found '3'")]
    [InlineData("name: 'a' @", "lenet.prototxt:1:11: unexpected character '@'")]
    [InlineData("name: 'a\\q'", "lenet.prototxt:1:9: unknown escape '\\q' in string")]
    [InlineData("[ext.field]: 1", "lenet.prototxt:1:1: expected a field name of NetParameter, found '['")]
    public void Should_Give_One_Line_With_Line_And_Column_For_Malformed_Syntax(string text, string expected)
    {
        Assert.Equal(expected, ErrorOf(text));
    }

    [Fact]
    public void Should_Refuse_Messages_Nested_Too_Deeply_In_A_Skipped_Block()
    {
        string deep = "layer { slice_param " + string.Concat(Enumerable.Repeat("{ ", 200)) + string.Concat(Enumerable.Repeat("} ", 200)) + "}";
        Assert.Contains("nest more than 64 deep", ErrorOf(deep));
    }
}
