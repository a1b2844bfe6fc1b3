using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Layers;
using Ristretto.Quantization;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Caffe;

public class CaffeGraphBuilderTests
{
    private static Network Build(string fixture) => CaffeGraphBuilder.Build(CaffeNet.Load(CaffeFixtures.PathOf(fixture), null, Phase.Test));

    private static long Parameters(Network net) => net.parameters().Sum(p => p.numel());

    [Fact]
    public void Should_Build_LeNet_Test_Net_Like_The_Zoo_LeNet()
    {
        using var net = Build("mnist__lenet_train_test.prototxt");
        Assert.Equal(431_080, Parameters(net));
        Assert.Equal(new long[] { 1, 1, 28, 28 }, net.Inputs[0].Shape);
        Assert.Equal(new long[] { 1, 10 }, net.Validate()[net.Outputs.Single()]);
        using var zoo = LeNet.Build(seed: 1);
        Assert.Equal(zoo.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape))),
            net.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape))));
        // Same xavier stream in the same order: the same initial weights as the zoo network.
        Assert.Equal(zoo.parameters().First().data<float>().ToArray(), net.parameters().First().data<float>().ToArray());
    }

    [Fact]
    public void Should_Build_Cifar10_Full_With_Its_Hand_Counted_Parameters()
    {
        using var net = Build("cifar10__cifar10_full_train_test.prototxt");
        // conv1 32·3·5·5+32 = 2,432; conv2 32·32·25+32 = 25,632; conv3 64·32·25+64 = 51,264; ip1 10·(64·4·4)+10 = 10,250
        Assert.Equal(2_432 + 25_632 + 51_264 + 10_250, Parameters(net));
        Assert.Equal(new long[] { 1, 10 }, net.Validate()[net.Outputs.Single()]);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Assert.Equal(new long[] { 2, 10 }, net.forward(rand(2, 3, 32, 32)).shape);
    }

    [Fact]
    public void Should_Build_CaffeNet_Deploy_With_Its_61_Million_Parameters()
    {
        using var net = Build("bvlc_reference_caffenet__deploy.prototxt");
        // conv1 34,944; conv2 307,456 (2 groups); conv3 885,120; conv4 663,936; conv5 442,624;
        // fc6 37,752,832; fc7 16,781,312; fc8 4,097,000
        Assert.Equal(60_965_224, Parameters(net));
        Assert.Equal(new long[] { 10, 1000 }, net.Validate()[net.Outputs.Single()]);
    }

    [Fact]
    public void Should_Build_SqueezeNet_With_Its_1_2_Million_Parameters()
    {
        using var net = Build("SqueezeNet__train_val.prototxt");
        Assert.Equal(1_248_424, Parameters(net));
        Assert.Equal(new long[] { 1, 3, 227, 227 }, net.Inputs[0].Shape);
        Assert.Equal(new long[] { 1, 1000, 1, 1 }, net.Validate()[net.Outputs.Single()]);
    }

    [Fact]
    public void Should_Import_LRNRistretto_As_A_Minifloat_LRN_Or_As_A_Float_LRN_To_Quantize_Anew()
    {
        const string text = "name: 'x'\ninput: 'data'\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n" +
            "layer { name: 'norm1' type: 'LRNRistretto' bottom: 'data' top: 'y' lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 } " +
            "quantization_param { precision: MINIFLOAT rounding_scheme: STOCHASTIC mant_bits: 10 exp_bits: 5 } }\n";
        var net = CaffeNet.FromText(text, "x.prototxt", null, null, new NetState { Phase = Phase.Test });
        using var quantized = CaffeGraphBuilder.Build(net);
        var lrn = Assert.IsType<QuantizedLrnLayer>(quantized["norm1"]);
        Assert.Equal(new MiniFloat(5, 10), lrn.Spec.Output);
        Assert.Equal(new MiniFloat(5, 10), lrn.Spec.Input);
        Assert.Equal(Rounding.Stochastic, lrn.Spec.Rounding);
        Assert.Equal((3, 0.5, false), (lrn.Lrn.Size, lrn.Lrn.Alpha, lrn.Lrn.WithinChannel));
        using var plain = CaffeGraphBuilder.Build(net, applyQuantization: false);
        Assert.IsType<LrnLayer>(plain["norm1"]);
    }

    [Theory]
    [InlineData("DYNAMIC_FIXED_POINT bw_layer_out: 8")]
    [InlineData("INTEGER_POWER_OF_2_WEIGHTS")]
    public void Should_Refuse_An_LRNRistretto_That_Is_Not_Minifloat_In_One_Line(string precision)
    {
        string text = "name: 'x'\ninput: 'data'\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n" +
            $"layer {{ name: 'norm1' type: 'LRNRistretto' bottom: 'data' top: 'y' quantization_param {{ precision: {precision} }} }}\n";
        var net = CaffeNet.FromText(text, "x.prototxt", null, null, new NetState { Phase = Phase.Test });
        var e = Assert.Throws<RistrettoException>(() => CaffeGraphBuilder.Build(net));
        Assert.Contains("'norm1' (LRNRistretto)", e.Message);
        Assert.Contains("minifloat only", e.Message);
        Assert.Contains(precision.Split(' ')[0], e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Should_Name_An_Unsupported_Layer_Its_Type_And_Its_Place_In_The_File()
    {
        const string text = "name: 'x'\ninput: 'data'\ninput_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\nlayer { name: 'odd' type: 'Crop' bottom: 'data' top: 'y' }\n";
        var net = CaffeNet.FromText(text, "x.prototxt", null, null, new NetState { Phase = Phase.Test });
        var e = Assert.Throws<RistrettoException>(() => CaffeGraphBuilder.Build(net));
        Assert.Contains("x.prototxt:4", e.Message);
        Assert.Contains("'odd' (Crop)", e.Message);
        Assert.Contains("not supported", e.Message);
    }

    [Fact]
    public void Should_Build_The_Cifar10_BatchNorm_Variant()
    {
        using var net = Build("cifar10__cifar10_full_sigmoid_train_test_bn.prototxt");
        // conv1 32·3·25 = 2,400; conv2 32·32·25 = 25,600; conv3 64·32·25 = 51,200 (no conv biases);
        // ip1 10·1,024 + 10 = 10,250; BatchNorm statistics are buffers, not parameters
        Assert.Equal(2_400 + 25_600 + 51_200 + 10_250, Parameters(net));
        Assert.Equal(3, net.Nodes.Count(n => n.Layer.Type == "BatchNorm"));
        Assert.Equal(3, net.Nodes.Count(n => n.Layer.Type == "Sigmoid"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var y = net.forward(rand(2, 3, 32, 32));
        Assert.Equal(new long[] { 2, 10 }, y.shape);
        Assert.True(y.isfinite().all().item<bool>());
    }

    [Fact]
    public void Should_Apply_Caffes_BatchNorm_Statistics_And_Scale_With_Bias_From_A_Caffemodel()
    {
        const string text = "name: 's'\ninput: 'data'\ninput_shape { dim: 1 dim: 2 dim: 1 dim: 1 }\n" +
            "layer { name: 'bn' type: 'BatchNorm' bottom: 'data' top: 'data' }\n" +
            "layer { name: 'sc' type: 'Scale' bottom: 'data' top: 'data' scale_param { bias_term: true } }\n";
        var model = new NetParameter();
        model.Layer.Add(Layer("bn", "BatchNorm", [2], [4, 8], [2], [2, 2], [1], [2])); // running sums; factor 2 → mean [2, 4], var [1, 1]
        model.Layer.Add(Layer("sc", "Scale", [2], [3, -1], [2], [10, 20]));
        var caffe = CaffeNet.FromText(text, "s.prototxt", model, "s.caffemodel", new NetState { Phase = Phase.Test });
        using var net = CaffeGraphBuilder.Build(caffe);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var y = net.forward(tensor(new float[] { 5, 3 }, [1, 2, 1, 1])).flatten().data<float>().ToArray();
        double eps = 1e-5;
        Assert.Equal((5 - 2) / Math.Sqrt(1 + eps) * 3 + 10, y[0], 4);
        Assert.Equal((3 - 4) / Math.Sqrt(1 + eps) * -1 + 20, y[1], 4);
    }

    private static LayerParameter Layer(string name, string type, params float[][] shapesAndData)
    {
        var layer = new LayerParameter { Name = name, Type = type };
        for (int i = 0; i < shapesAndData.Length; i += 2)
        {
            var blob = new BlobProto { Shape = new BlobShape() };
            blob.Shape.Dim.AddRange(shapesAndData[i].Select(d => (long)d));
            blob.Data.AddRange(shapesAndData[i + 1]);
            layer.Blobs.Add(blob);
        }
        return layer;
    }
}
