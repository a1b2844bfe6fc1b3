using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;

namespace Ristretto.Tests.Interchange.Caffe;

public class TextFormatParserTests
{
    private static NetParameter Net(string text) => CaffePrototxt.ParseNet(text, "t.prototxt");

    private static LayerParameter Layer(string body) => Net("layer { " + body + " }").Layer.Single();

    [Fact]
    public void Should_Read_Nested_Messages_With_Or_Without_Colon_And_With_Angle_Brackets()
    {
        var net = Net("layer { name: 'a' convolution_param: { num_output: 3 } } layer < name: \"b\" >");
        Assert.Equal(["a", "b"], net.Layer.Select(l => l.Name));
        Assert.Equal(3u, net.Layer[0].ConvolutionParam.NumOutput);
    }

    [Fact]
    public void Should_Read_Repeated_Fields_Given_Repeatedly_Or_As_Lists()
    {
        var conv = Layer("convolution_param { kernel_size: 3 kernel_size: [5, 7] pad: [] stride: [0x2] }").ConvolutionParam;
        Assert.Equal([3u, 5u, 7u], conv.KernelSize);
        Assert.Empty(conv.Pad);
        Assert.Equal([2u], conv.Stride);
        var net = Net("layer [{ name: 'x' }, { name: 'y' }]");
        Assert.Equal(["x", "y"], net.Layer.Select(l => l.Name));
    }

    [Fact]
    public void Should_Decode_String_Escapes_And_Join_Adjacent_Literals()
    {
        var layer = Layer(@"name: 'it\'s' ""\t\x41\101\u00e9"" type: ""a"" 'b'");
        Assert.Equal("it's\tAAé", layer.Name);
        Assert.Equal("ab", layer.Type);
        Assert.Equal("日本", Layer("name: '日本'").Name);
    }

    [Fact]
    public void Should_Read_Numbers_In_Every_Form()
    {
        var layer = Layer("loss_weight: [1, -2.5, 1e3, 1.5E-2, .5, 2f, inf, -Infinity, nan, 010, 0x10] " +
            "reshape_param { axis: - 2 num_axes: -1 shape { dim: 9223372036854775807 dim: -9223372036854775808 } }");
        Assert.Equal(1f, layer.LossWeight[0]);
        Assert.Equal(-2.5f, layer.LossWeight[1]);
        Assert.Equal(1000f, layer.LossWeight[2]);
        Assert.Equal(0.015f, layer.LossWeight[3]);
        Assert.Equal(0.5f, layer.LossWeight[4]);
        Assert.Equal(2f, layer.LossWeight[5]);
        Assert.Equal(float.PositiveInfinity, layer.LossWeight[6]);
        Assert.Equal(float.NegativeInfinity, layer.LossWeight[7]);
        Assert.True(float.IsNaN(layer.LossWeight[8]));
        Assert.Equal(8f, layer.LossWeight[9]);
        Assert.Equal(16f, layer.LossWeight[10]);
        Assert.Equal(-2, layer.ReshapeParam.Axis);
        Assert.Equal(-1, layer.ReshapeParam.NumAxes);
        Assert.Equal([long.MaxValue, long.MinValue], layer.ReshapeParam.Shape.Dim);
    }

    [Fact]
    public void Should_Read_Booleans_And_Enums_By_Name_Or_Number()
    {
        var a = Layer("convolution_param { bias_term: false } pooling_param { global_pooling: True pool: 1 }");
        Assert.False(a.ConvolutionParam.BiasTerm);
        Assert.True(a.PoolingParam.GlobalPooling);
        Assert.Equal(PoolingParameter.Types.PoolMethod.Ave, a.PoolingParam.Pool);
        var b = Layer("convolution_param { bias_term: 1 } include { phase: TEST } pooling_param { global_pooling: f }");
        Assert.True(b.ConvolutionParam.BiasTerm);
        Assert.Equal(Phase.Test, b.Include[0].Phase);
        Assert.False(b.PoolingParam.GlobalPooling);
    }

    [Fact]
    public void Should_Skip_Comments_And_Optional_Separators()
    {
        var net = Net("# head\nname: 'n'; # trailing\nlayer { name: 'a', type: 'ReLU'; } # end");
        Assert.Equal("n", net.Name);
        Assert.Equal("ReLU", net.Layer[0].Type);
    }

    [Fact]
    public void Should_Keep_Caffe_Defaults_And_Presence()
    {
        var conv = Layer("convolution_param { num_output: 4 }").ConvolutionParam;
        Assert.True(conv.BiasTerm);
        Assert.Equal(1u, conv.Group);
        Assert.False(conv.HasKernelH);
        Assert.True(conv.HasNumOutput);
        Assert.Equal(5u, Layer("lrn_param { }").LrnParam.LocalSize);
    }

    [Fact]
    public void Should_Read_Ristrettos_Quantization_Param()
    {
        var q = Layer("type: 'ConvolutionRistretto' quantization_param { precision: MINIFLOAT rounding_scheme: STOCHASTIC " +
            "bw_layer_in: 8 bw_layer_out: 8 bw_params: 4 fl_layer_in: -2 fl_layer_out: 3 fl_params: 7 mant_bits: 10 exp_bits: 5 exp_min: -7 exp_max: 0 }")
            .QuantizationParam;
        Assert.Equal(QuantizationParameter.Types.Precision.Minifloat, q.Precision);
        Assert.Equal(QuantizationParameter.Types.Rounding.Stochastic, q.RoundingScheme);
        Assert.Equal((8u, 8u, 4u), (q.BwLayerIn, q.BwLayerOut, q.BwParams));
        Assert.Equal((-2, 3, 7), (q.FlLayerIn, q.FlLayerOut, q.FlParams));
        Assert.Equal((10u, 5u, -7, 0), (q.MantBits, q.ExpBits, q.ExpMin, q.ExpMax));
        var defaults = Layer("quantization_param { }").QuantizationParam;
        Assert.Equal((32u, 16, -8, -1), (defaults.BwParams, defaults.FlParams, defaults.ExpMin, defaults.ExpMax));
    }

    [Fact]
    public void Should_Skip_Parameters_Of_Bvlc_Layer_Types_Outside_The_Subset()
    {
        var map = new TextSourceMap { FileName = "t.prototxt" };
        var net = CaffePrototxt.ParseNet("layer { name: 's' type: 'Slice'\n  slice_param { axis: 1 slice_point: [2, 3] nested { x: -1 } } }", "t.prototxt", map);
        Assert.Equal("Slice", net.Layer[0].Type);
        Assert.Equal([("caffe.LayerParameter.slice_param", new TextPosition(2, 3))], map.Skipped);
    }

    [Fact]
    public void Should_Record_Where_Each_Layer_Starts()
    {
        var map = new TextSourceMap { FileName = "t.prototxt" };
        var net = CaffePrototxt.ParseNet("name: 'n'\n\n  layer {\n name: 'a' }", "t.prototxt", map);
        Assert.Equal("t.prototxt:3:3", map.Where(net.Layer[0]));
    }
}
