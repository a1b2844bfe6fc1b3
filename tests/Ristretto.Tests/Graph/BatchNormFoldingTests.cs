using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Layers;
using Ristretto.Tests.Interchange.Caffe;
using Ristretto.Tests.Support;
using Ristretto.Transforms;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Graph;

public class BatchNormFoldingTests
{
    /// <summary>
    /// conv1 → bn1 → scale1 (+bias) → relu1, all in place: folds. A BN after that ReLU and a BN after a convolution
    /// whose output also feeds a pooling do not. An inner product's in-place BN folds on [N, C]; a grouped
    /// deconvolution's BN and bias-less Scale fold into its [in, out/groups, kh, kw] weights.
    /// </summary>
    internal const string FoldingPrototxt = """
        name: "folding"
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 3 pad: 1 bias_term: false } }
        layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
        layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
        layer { name: "bn_after_relu" type: "BatchNorm" bottom: "conv1" top: "bn_r" }
        layer { name: "conv2" type: "Convolution" bottom: "bn_r" top: "conv2" convolution_param { num_output: 8 kernel_size: 3 pad: 1 } }
        layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "bn2" type: "BatchNorm" bottom: "conv2" top: "bn2" }
        layer { name: "pool_bn2" type: "Pooling" bottom: "bn2" top: "pool_bn2" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "sum" type: "Eltwise" bottom: "pool2" bottom: "pool_bn2" top: "sum" }
        layer { name: "ip" type: "InnerProduct" bottom: "sum" top: "ip" inner_product_param { num_output: 5 } }
        layer { name: "bn_ip" type: "BatchNorm" bottom: "ip" top: "ip" }
        layer { name: "up" type: "Deconvolution" bottom: "data" top: "up" convolution_param { num_output: 6 group: 3 kernel_size: 3 stride: 2 } }
        layer { name: "bn_up" type: "BatchNorm" bottom: "up" top: "up" }
        layer { name: "scale_up" type: "Scale" bottom: "up" top: "up" }
        """;

    [Fact]
    public void Should_Fold_In_Place_BatchNorm_And_Scale_And_Leave_The_Unfoldable_Ones()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("folding.prototxt"), FoldingPrototxt);
        using var net = CaffeImport.Load(dir.File("folding.prototxt"), seed: 5);
        NetworkChecks.Randomise(net, 11);
        using var folded = BatchNormFolding.Fold(net);

        Assert.Equal(["bn_after_relu", "bn2"], folded.Nodes.Where(n => n.Layer is BatchNormLayer).Select(n => n.Layer.LayerName));
        Assert.DoesNotContain(folded.Nodes, n => n.Layer is BroadcastLayer);
        Assert.Equal(net.Nodes.Count - 6, folded.Nodes.Count);
        var conv1 = folded.Nodes.Single(n => n.Layer.LayerName == "conv1");
        Assert.NotNull(((ConvolutionLayer)conv1.Layer).Bias);
        Assert.Equal(["conv1@scale1/bias"], conv1.Outputs); // the blob the Scale's add wrote, so relu1 still reads its input
        Assert.Equal(conv1.Outputs, folded.Nodes.Single(n => n.Layer.LayerName == "relu1").Inputs);
        Assert.Equal(net.Outputs, folded.Outputs);
        Assert.Equal(["ip@bn_ip", "up@scale_up"], folded.Outputs.Order(StringComparer.Ordinal));
        NetworkChecks.AssertSameOutputs(net, folded, 3);
    }

    [Fact]
    public void Should_Fold_The_Convolution_BatchNorms_Of_The_Caffe_Cifar10_Bn_Fixture_But_Not_The_One_After_Pooling()
    {
        using var net = CaffeImport.Load(CaffeFixtures.PathOf("cifar10__cifar10_full_sigmoid_train_test_bn.prototxt"));
        NetworkChecks.Randomise(net, 12);
        using var folded = BatchNormFolding.Fold(net);
        Assert.Equal(["bn1"], folded.Nodes.Where(n => n.Layer is BatchNormLayer).Select(n => n.Layer.LayerName));
        Assert.Null(((ConvolutionLayer)net["conv2"]).Bias);
        Assert.Equal([32L], ((ConvolutionLayer)folded["conv2"]).Bias!.shape);
        Assert.Equal([64L], ((ConvolutionLayer)folded["conv3"]).Bias!.shape);
        NetworkChecks.AssertSameOutputs(net, folded, 4);
    }

    [Theory]
    [InlineData("resnet18", 20)]
    [InlineData("mobilenetv2", 52)]
    public void Should_Fold_Every_BatchNorm_Of_A_Zoo_Network_With_Random_Statistics(string name, int batchNorms)
    {
        using var net = ModelZoo.Create(name, 10, seed: 2);
        NetworkChecks.Randomise(net, 13);
        using var folded = BatchNormFolding.Fold(net);
        Assert.Equal(batchNorms, net.Nodes.Count(n => n.Layer is BatchNormLayer));
        Assert.DoesNotContain(folded.Nodes, n => n.Layer is BatchNormLayer);
        Assert.Equal(net.Nodes.Count - batchNorms, folded.Nodes.Count);
        // Each BN's γ and β (2C) become the C biases of its convolution, which had none.
        long removed = net.Nodes.Select(n => n.Layer).OfType<BatchNormLayer>().Sum(b => b.Mean.shape[0]);
        Assert.Equal(net.parameters().Sum(p => p.numel()) - removed, folded.parameters().Sum(p => p.numel()));
        NetworkChecks.AssertSameOutputs(net, folded, 1);
    }

    [Fact]
    public void Should_Leave_The_Source_Network_Untouched_And_Independent()
    {
        using var net = ModelZoo.Create("resnet18", 10, seed: 2);
        NetworkChecks.Randomise(net, 14);
        var before = ((ConvolutionLayer)net["conv1"]).Weight.data<float>().ToArray();
        var folded = BatchNormFolding.Fold(net);
        Assert.NotEqual(before, ((ConvolutionLayer)folded["conv1"]).Weight.data<float>().ToArray());
        folded.Dispose();
        Assert.Equal(before, ((ConvolutionLayer)net["conv1"]).Weight.data<float>().ToArray());
        Assert.Equal(20, net.Nodes.Count(n => n.Layer is BatchNormLayer));
        Count(net); // still runs
    }

    [Fact]
    public void Should_Not_Fold_A_BatchNorm_Whose_Convolution_The_Network_Also_Returns()
    {
        var conv = new ConvolutionLayer("conv", ParameterFrom(rand(4, 3, 3, 3)), null, ConvolutionLayer.Geometry.Square(3));
        using var mean = zeros(4);
        using var variance = ones(4);
        var bn = new BatchNormLayer("bn", mean, variance, null, null);
        using var net = new NetworkBuilder("two-outputs").Input("data", 1, 3, 6, 6)
            .Add(conv, "data", "conv").Add(bn, "conv", "bn").Build(["conv", "bn"]);
        using var folded = BatchNormFolding.Fold(net);
        Assert.Contains(folded.Nodes, n => n.Layer is BatchNormLayer);
        NetworkChecks.AssertSameOutputs(net, folded, 1);
    }

    private static void Count(Ristretto.Graph.Network net)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Assert.Equal(10, net.forward(rand(1, 3, 224, 224)).shape[1]);
    }

    private static TorchSharp.Modules.Parameter ParameterFrom(Tensor t)
    {
        var p = new TorchSharp.Modules.Parameter(t);
        p.DetachFromDisposeScope();
        return p;
    }
}
