using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;

namespace Ristretto.Tests.Interchange.Caffe;

public class CaffeFixtureTests
{
    private static CaffeNet Load(string name, Phase phase = Phase.Test) => CaffeNet.Load(CaffeFixtures.PathOf(name), null, phase);

    private static LayerParameter Layer(CaffeNet net, string name) => net.Layers.Single(l => l.Name == name);

    [Theory]
    [MemberData(nameof(CaffeFixtures.Nets), MemberType = typeof(CaffeFixtures))]
    public void Should_Load_Every_Net_Fixture_In_Both_Phases(string name)
    {
        var test = Load(name, Phase.Test);
        var train = Load(name, Phase.Train);
        Assert.NotEmpty(test.Layers);
        Assert.NotEmpty(train.Layers);
        Assert.NotEmpty(test.Flow.Outputs);
        Assert.Empty(test.Source.Skipped);
    }

    [Fact]
    public void Should_Select_Ten_Test_Layers_And_Nine_Train_Layers_Of_LeNet_Train_Test()
    {
        var test = Load("mnist__lenet_train_test.prototxt", Phase.Test);
        Assert.Equal(11, test.Definition.Layer.Count);
        Assert.Equal(["mnist", "conv1", "pool1", "conv2", "pool2", "ip1", "relu1", "ip2", "accuracy", "loss"], test.Layers.Select(l => l.Name));
        Assert.Equal(100u, test.Layers[0].DataParam.BatchSize);
        Assert.Equal("examples/mnist/mnist_test_lmdb", test.Layers[0].DataParam.Source);
        Assert.Equal(DataParameter.Types.DB.Lmdb, test.Layers[0].DataParam.Backend);
        Assert.Equal(0.00390625f, test.Layers[0].TransformParam.Scale);
        Assert.Equal(["accuracy", "loss"], test.Flow.Outputs);
        Assert.Equal(["relu1"], test.Flow.InPlaceLayers);

        var train = Load("mnist__lenet_train_test.prototxt", Phase.Train);
        Assert.Equal(9, train.Layers.Count);
        Assert.Equal(64u, train.Layers[0].DataParam.BatchSize);
        Assert.DoesNotContain(train.Layers, l => l.Type == "Accuracy");
        Assert.Equal(["loss"], train.Flow.Outputs);
    }

    [Fact]
    public void Should_Read_LeNets_Convolution_And_Inner_Product_Parameters()
    {
        var net = Load("mnist__lenet_train_test.prototxt");
        var conv1 = Layer(net, "conv1");
        Assert.Equal(20u, conv1.ConvolutionParam.NumOutput);
        Assert.Equal([5u], conv1.ConvolutionParam.KernelSize);
        Assert.Equal([1u], conv1.ConvolutionParam.Stride);
        Assert.Equal("xavier", conv1.ConvolutionParam.WeightFiller.Type);
        Assert.Equal([1f, 2f], conv1.Param.Select(p => p.LrMult));
        Assert.Equal(50u, Layer(net, "conv2").ConvolutionParam.NumOutput);
        Assert.Equal(500u, Layer(net, "ip1").InnerProductParam.NumOutput);
        Assert.Equal(PoolingParameter.Types.PoolMethod.Max, Layer(net, "pool1").PoolingParam.Pool);
        Assert.Equal(2u, Layer(net, "pool1").PoolingParam.Stride);
    }

    [Fact]
    public void Should_Read_The_Input_Shape_Of_The_Deploy_Nets()
    {
        Assert.Equal([64L, 1, 28, 28], Load("mnist__lenet.prototxt").Layers[0].InputParam.Shape[0].Dim);
        Assert.Equal(["prob"], Load("mnist__lenet.prototxt").Flow.Outputs);
        Assert.Equal([1L, 3, 32, 32], Load("cifar10__cifar10_full.prototxt").Layers[0].InputParam.Shape[0].Dim);
        var alex = Load("bvlc_alexnet__deploy.prototxt");
        Assert.Equal("AlexNet", alex.Name);
        Assert.Equal(24, alex.Layers.Count);
        Assert.Equal([10L, 3, 227, 227], alex.Layers[0].InputParam.Shape[0].Dim);
    }

    [Fact]
    public void Should_Read_CaffeNets_LRN_Groups_And_In_Place_Layers()
    {
        var net = Load("bvlc_reference_caffenet__deploy.prototxt");
        Assert.Equal("CaffeNet", net.Name);
        Assert.Equal(24, net.Layers.Count);
        var lrn = Layer(net, "norm1").LrnParam;
        Assert.Equal((5u, 0.0001f, 0.75f), (lrn.LocalSize, lrn.Alpha, lrn.Beta));
        Assert.Equal(LRNParameter.Types.NormRegion.AcrossChannels, lrn.NormRegion);
        Assert.Equal(1f, lrn.K);
        Assert.Equal(2u, Layer(net, "conv2").ConvolutionParam.Group);
        Assert.Equal(1u, Layer(net, "conv3").ConvolutionParam.Group);
        Assert.Equal(0.5f, Layer(net, "drop6").DropoutParam.DropoutRatio);
        Assert.Equal(["relu1", "relu2", "relu3", "relu4", "relu5", "relu6", "drop6", "relu7", "drop7"],
            net.Layers.Where(l => net.Flow.InPlaceLayers.Contains(l.Name)).Select(l => l.Name));
        Assert.Equal(["prob"], net.Flow.Outputs);

        var trainVal = Load("bvlc_reference_caffenet__train_val.prototxt", Phase.Train);
        Assert.Equal(24, trainVal.Layers.Count);
        Assert.Equal((227u, true), (trainVal.Layers[0].TransformParam.CropSize, trainVal.Layers[0].TransformParam.Mirror));
        Assert.Equal(["loss"], trainVal.Flow.Outputs);
    }

    [Fact]
    public void Should_Read_The_Within_Channel_LRN_Of_CIFAR10_Full()
    {
        var lrn = Layer(Load("cifar10__cifar10_full.prototxt"), "norm1").LrnParam;
        Assert.Equal(LRNParameter.Types.NormRegion.WithinChannel, lrn.NormRegion);
        Assert.Equal((3u, 5e-05f), (lrn.LocalSize, lrn.Alpha));
    }

    [Fact]
    public void Should_Find_Eight_Fire_Concats_And_The_Global_Pooling_Of_SqueezeNet()
    {
        var net = Load("SqueezeNet__train_val.prototxt");
        Assert.Equal(70, net.Definition.Layer.Count);
        Assert.Equal(68, net.Layers.Count);
        var concats = net.Layers.Where(l => l.Type == "Concat").ToList();
        Assert.Equal(Enumerable.Range(2, 8).Select(i => $"fire{i}/concat"), concats.Select(l => l.Name));
        foreach (var (concat, i) in concats.Select((c, i) => (c, i + 2)))
        {
            Assert.Equal([$"fire{i}/expand1x1", $"fire{i}/expand3x3"], concat.Bottom);
            Assert.Null(concat.ConcatParam);
        }
        var pool10 = Layer(net, "pool10").PoolingParam;
        Assert.Equal((PoolingParameter.Types.PoolMethod.Ave, true), (pool10.Pool, pool10.GlobalPooling));
        Assert.Equal(5u, Layer(net, "accuracy_top5").AccuracyParam.TopK);
        Assert.Equal(["accuracy", "accuracy_top5"], net.Flow.Outputs);
        Assert.Equal([104f, 117f, 123f], net.Layers[0].TransformParam.MeanValue);
        Assert.Equal(["loss"], Load("SqueezeNet__train_val.prototxt", Phase.Train).Flow.Outputs);
    }

    [Fact]
    public void Should_Find_The_Three_BatchNorm_Layers_Of_The_CIFAR10_BN_Variant()
    {
        var net = Load("cifar10__cifar10_full_sigmoid_train_test_bn.prototxt");
        var bns = net.Layers.Where(l => l.Type == "BatchNorm").ToList();
        Assert.Equal(["bn1", "bn2", "bn3"], bns.Select(l => l.Name));
        Assert.All(bns, bn => Assert.Equal([0f, 0f, 0f], bn.Param.Select(p => p.LrMult)));
        Assert.All(bns, bn => Assert.Equal(3, CaffeLayerBlobs.Expected(bn)));
        Assert.All(net.Layers.Where(l => l.Type == "Convolution"), c => Assert.False(c.ConvolutionParam.BiasTerm));
        Assert.Equal(3, net.Layers.Count(l => l.Type == "Sigmoid"));
        Assert.Equal(16, net.Layers.Count);
    }

    [Fact]
    public void Should_Read_The_CIFAR10_Quick_Net()
    {
        var net = Load("cifar10__cifar10_quick_train_test.prototxt");
        Assert.Equal("CIFAR10_quick", net.Name);
        Assert.Equal(14, net.Layers.Count);
        Assert.Equal(2, net.Layers.Count(l => l.Type == "InnerProduct"));
    }

    [Fact]
    public void Should_Read_The_LeNet_Solver()
    {
        var s = CaffePrototxt.LoadSolver(CaffeFixtures.PathOf("mnist__lenet_solver.prototxt"));
        Assert.Equal("examples/mnist/lenet_train_test.prototxt", s.Net);
        Assert.Equal([100], s.TestIter);
        Assert.Equal((500, 0.01f, 0.9f, 0.0005f), (s.TestInterval, s.BaseLr, s.Momentum, s.WeightDecay));
        Assert.Equal(("inv", 0.0001f, 0.75f), (s.LrPolicy, s.Gamma, s.Power));
        Assert.Equal((100, 10000, 5000), (s.Display, s.MaxIter, s.Snapshot));
        Assert.Equal("examples/mnist/lenet", s.SnapshotPrefix);
        Assert.Equal(SolverParameter.Types.SolverMode.Gpu, s.SolverMode);
        Assert.Equal("SGD", s.Type);
    }

    [Fact]
    public void Should_Read_The_Ristretto_Fine_Tuning_Solver()
    {
        var s = CaffePrototxt.LoadSolver(CaffeFixtures.PathOf("SqueezeNet__RistrettoDemo__solver_finetune.prototxt"));
        Assert.Equal(SolverParameter.Types.SolverType.Adam, s.SolverType);
        Assert.Equal((2000, 100, 2000, 32), (s.TestIter[0], s.TestInterval, s.MaxIter, s.IterSize));
        Assert.Equal((0.000001f, 0.999f, 0.00000001f), (s.BaseLr, s.Momentum2, s.Delta));
        Assert.Equal((42L, 40, true), (s.RandomSeed, s.AverageLoss, s.TestInitialization));
        Assert.Equal("fixed", s.LrPolicy);
        Assert.Equal("models/SqueezeNet/RistrettoDemo/quantized.prototxt", s.Net);
    }

    [Fact]
    public void Should_Read_The_CIFAR10_Solver()
    {
        var s = CaffePrototxt.LoadSolver(CaffeFixtures.PathOf("cifar10__cifar10_full_solver.prototxt"));
        Assert.Equal(SolverParameter.Types.SnapshotFormat.Hdf5, s.SnapshotFormat);
        Assert.Equal((60000, 0.001f, 0.004f), (s.MaxIter, s.BaseLr, s.WeightDecay));
    }

    [Fact]
    public void Should_Refuse_A_Solver_Given_As_A_Net()
    {
        var e = Assert.Throws<RistrettoException>(() => CaffeNet.Load(CaffeFixtures.PathOf("mnist__lenet_solver.prototxt")));
        Assert.Equal("mnist__lenet_solver.prototxt:2:1: unknown field 'net' in NetParameter", e.Message);
    }
}
