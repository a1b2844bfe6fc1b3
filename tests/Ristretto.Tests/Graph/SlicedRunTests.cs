using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Graph;

public class SlicedRunTests
{
    private const long SevenLeNetImages = 7 * 20 * 24 * 24 * 4; // LeNet's largest blob (conv1's output) for 7 images

    [Fact]
    public void A_Slice_Should_Hold_As_Many_Images_As_Its_Largest_Blob_Allows()
    {
        using var net = LeNet.Build(seed: 3);
        using var x = zeros(1000, 1, 28, 28);
        Assert.Equal(7, SlicedRun.ImagesPerSlice(net, x, SevenLeNetImages));
        Assert.Equal(364, SlicedRun.ImagesPerSlice(net, x, SlicedRun.DefaultSliceBytes)); // 16 MiB over conv1's 46,080 bytes per image
        Assert.Equal(1, SlicedRun.ImagesPerSlice(net, x, 1));
    }

    [Fact]
    public void A_Float_Pass_In_Slices_Should_Give_The_Bits_Of_A_Whole_Pass()
    {
        using var net = LeNet.Build(seed: 3);
        net.eval();
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = rand([50, 1, 28, 28], generator: new Generator(5));
        var whole = net.forward(x);
        Assert.True(Bits.Same(whole, SlicedRun.Forward(net, x, SevenLeNetImages)));
        Assert.True(Bits.Same(whole, SlicedRun.Forward(net, x, 1)));   // one image per slice
        // EvaluationNetwork.Forward runs under a oneDNN evaluation scope (Engine/OneDnn): oneDNN's convolutions differ
        // from ATen's in the last bits, so its slices are compared with a whole pass under the same kernels.
        Tensor wholeOneDnn;
        using (Ristretto.Engine.OneDnn.Evaluation())
        {
            wholeOneDnn = net.forward(x);
            Assert.True(Bits.Same(wholeOneDnn, SlicedRun.Forward(net, x, SevenLeNetImages)));
            Assert.True(Bits.Same(wholeOneDnn, SlicedRun.Forward(net, x, 1)));
        }
        using var prepared = EvaluationNetwork.Prepare(net);
        Assert.True(Bits.Same(wholeOneDnn, prepared.Forward(x)));
    }

    [Fact]
    public void Slices_Should_Run_Up_To_The_First_Inner_Product_And_The_Rest_On_The_Whole_Batch()
    {
        using var net = LeNet.Build(seed: 3);
        net.eval();
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        using var pool = new CountingLayer(net["pool2"]);
        using var relu = new CountingLayer(net["relu1"]);
        var x = rand([50, 1, 28, 28], generator: new Generator(5));
        var y = SlicedRun.Forward(net, x, SevenLeNetImages, new Dictionary<string, Layer> { ["pool2"] = pool, ["relu1"] = relu });
        Assert.Equal(8, pool.Calls);            // 50 images in slices of at most 7: 8 slices of 6 or 7
        Assert.Equal(50L, pool.Batches.Sum());
        Assert.True(pool.Batches.Max() - pool.Batches.Min() <= 1);
        Assert.Equal([50L], relu.Batches);      // after ip1 (a matrix product over the batch): whole
        Assert.Equal([50L, 10L], y.shape);
    }

    [Theory]
    [InlineData("dfp")]
    [InlineData("int8 per-channel")]
    [InlineData("stochastic")]
    public void A_Quantized_Pass_In_Slices_Should_Give_The_Bits_Of_A_Whole_Pass(string kind)
    {
        using var net = LeNet.Build(seed: 4);
        net.eval();
        var plan = Plan(net, kind);
        using var sliced = new QuantizedNetwork(net, plan) { MaxSliceBytes = SevenLeNetImages };
        using var whole = new QuantizedNetwork(net, plan) { MaxSliceBytes = 0 };
        sliced.eval();
        whole.eval();
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = rand([40, 1, 28, 28], generator: new Generator(6));
        Assert.True(Bits.Same(whole.forward(x), sliced.forward(x)), kind);
        // The float-prefix reuse of the search: the prefix and the rest, each in slices.
        int cut = net.Nodes.ToList().FindIndex(n => n.Layer.LayerName == "conv2");
        var inputs = new Dictionary<string, Tensor> { [net.Inputs[0].Name] = x };
        var frontier = SlicedRun.Until(net, cut, inputs, 7);
        var plain = net.RunUntil(cut, inputs);
        foreach (var (blob, t) in plain)
            Assert.True(Bits.Same(t, frontier[blob]), blob);
        using var fromConv2 = new QuantizedNetwork(net, new QuantizationPlan(plan.Layers.Where(l => l.Key != "conv1").ToDictionary(), "from conv2"));
        fromConv2.eval();
        Assert.True(Bits.Same(fromConv2.ForwardFrom(cut, plain), fromConv2.ForwardFrom(cut, frontier, 7)), kind);
        // Stochastic rounding draws by the element's index in the batch: its layers couple the images, so slicing stops before them.
        using var conv1 = new QuantizedLayer(net["conv1"], plan.Layers["conv1"]);
        Assert.Equal(kind == "stochastic", conv1.CouplesImages);
    }

    [Fact]
    public void A_ResNet18_Pass_In_Slices_Of_One_Image_Should_Give_The_Bits_Of_A_Whole_Pass_Float_And_Int8_Per_Channel()
    {
        using var net = ResNet18.Build(seed: 2);
        net.eval();
        using var prepared = EvaluationNetwork.Prepare(net);   // batch norms folded
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var x = rand([3, 3, 96, 96], generator: new Generator(8));
        var folded = prepared.Network;
        Assert.True(Bits.Same(folded.forward(x), SlicedRun.Forward(folded, x, 1)));
        var plan = Plan(folded, "int8 per-channel");
        using var sliced = new QuantizedNetwork(folded, plan) { MaxSliceBytes = 1 };
        using var whole = new QuantizedNetwork(folded, plan) { MaxSliceBytes = 0 };
        sliced.eval();
        whole.eval();
        Assert.True(Bits.Same(whole.forward(x), sliced.forward(x)));
    }

    [Fact]
    public void A_Pass_With_Gradients_Or_In_Training_Mode_Should_Not_Be_Sliced()
    {
        using var net = LeNet.Build(seed: 3);
        using var scope = NewDisposeScope();
        using var pool = new CountingLayer(net["pool2"]);
        var x = rand([20, 1, 28, 28], generator: new Generator(5));
        var substitutes = new Dictionary<string, Layer> { ["pool2"] = pool };
        net.eval();
        _ = SlicedRun.Forward(net, x, SevenLeNetImages, substitutes);   // gradients on
        net.train();
        using (no_grad())
            _ = SlicedRun.Forward(net, x, SevenLeNetImages, substitutes);
        Assert.Equal([20L, 20L], pool.Batches);
    }

    private static QuantizationPlan Plan(Network net, string kind)
    {
        var weighted = net.Nodes.Where(n => n.Layer is IWeightedLayer).Select(n => n.Layer.LayerName).ToList();
        var range = new LayerRange(4, 8, 1, 1) { InputMin = 0, OutputMin = -8 };
        var int8 = new IntegerScheme(PerChannelWeights: true).Formats(net);
        return new QuantizationPlan(weighted.ToDictionary(l => l, l => kind switch
        {
            "int8 per-channel" => int8(l, range, 8, 8),
            "stochastic" => RistrettoDfpSearch.DynamicFixedPointFormats(l, range, 6, 6) with { Rounding = Rounding.Stochastic },
            _ => RistrettoDfpSearch.DynamicFixedPointFormats(l, range, 8, 8),
        }, StringComparer.Ordinal), kind);
    }

    /// <summary>A layer that runs another and records the batch of every call.</summary>
    private sealed class CountingLayer(Layer inner) : Layer(inner.LayerName)
    {
        public List<long> Batches { get; } = [];

        public int Calls => Batches.Count;

        public override string Type => inner.Type;

        public override long[][] OutputShapes(long[][] inputs) => inner.OutputShapes(inputs);

        public override Tensor[] forward(Tensor[] inputs)
        {
            Batches.Add(inputs[0].shape[0]);
            return inner.forward(inputs);
        }
    }
}
