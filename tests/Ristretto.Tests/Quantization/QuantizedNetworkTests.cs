using Ristretto.Data;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Quantization;

public class QuantizedNetworkTests
{
    [Fact]
    public void Should_Run_Planned_Layers_With_Trimmed_Weights_Inputs_And_Outputs()
    {
        using var net = LeNet.Build(seed: 4);
        var dfp = new DynamicFixedPoint(4, 3);
        var spec = new LayerQuantization(dfp, dfp, new DynamicFixedPoint(8, 6), new DynamicFixedPoint(6, 2));
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["conv1"] = spec });
        using var quantized = new QuantizedNetwork(net, plan);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(2, 1, 28, 28);
        var conv1 = (ConvolutionLayer)net["conv1"];
        var expected = new DynamicFixedPoint(6, 2).Trim(
            nn.functional.conv2d(new DynamicFixedPoint(8, 6).Trim(x), dfp.Trim(conv1.Weight), dfp.Trim(conv1.Bias!)));
        var seen = new Dictionary<string, float[]>();
        net.Run(new Dictionary<string, Tensor> { ["data"] = x }, (blob, layer, t) => { if (blob == "conv1") seen[blob] = t.data<float>().ToArray(); },
            new Dictionary<string, Layer> { ["conv1"] = new QuantizedLayer(conv1, spec) });
        Assert.Equal(expected.data<float>().ToArray(), seen["conv1"]);
        Assert.NotEqual(net.forward(x).data<float>().ToArray(), quantized.forward(x).data<float>().ToArray());
        Assert.Equal(net.forward(x).shape, quantized.forward(x).shape);
    }

    [Theory]
    [InlineData(8, Rounding.Nearest)]
    [InlineData(4, Rounding.Nearest)]
    [InlineData(2, Rounding.Nearest)]
    [InlineData(4, Rounding.Stochastic)]
    public void Should_Skip_Only_Input_Trims_That_Change_No_Bit(int bits, Rounding rounding)
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 2, 64);
        var search = new Ristretto.Search.RistrettoDfpSearch(trained.Net, ranges, trained.Test, 1, 100);
        var ristretto = search.Plan(bits, bits, bits);
        var plan = new QuantizationPlan(ristretto.Layers.ToDictionary(kv => kv.Key, kv => kv.Value with { Rounding = rounding }), "test");

        // An input trim is skipped exactly where the producer's output format is the input format; Ristretto's
        // plans make them equal where the input's largest |value| is the producer's largest output.
        Assert.False(QuantizedNetwork.InputAlreadyOnGrid(trained.Net, "conv1", plan)); // the network input
        (string Layer, string Producer)[] pairs = [("conv2", "conv1"), ("ip1", "conv2"), ("ip2", "ip1")];
        foreach (var (layer, producer) in pairs)
            Assert.Equal(Equals(plan.Layers[producer].Output, plan.Layers[layer].Input), QuantizedNetwork.InputAlreadyOnGrid(trained.Net, layer, plan));
        var (skipped, before) = pairs.First(p => QuantizedNetwork.InputAlreadyOnGrid(trained.Net, p.Layer, plan)); // ip1 and ip2 here

        // A different format on either side, or a float producer, keeps the trim.
        var shifted = new QuantizationPlan(plan.Layers.ToDictionary(kv => kv.Key,
            kv => kv.Key == skipped ? kv.Value with { Input = new DynamicFixedPoint(bits, ((DynamicFixedPoint)kv.Value.Input!).FractionalLength - 1) } : kv.Value), "shifted");
        Assert.False(QuantizedNetwork.InputAlreadyOnGrid(trained.Net, skipped, shifted));
        var floatProducer = new QuantizationPlan(plan.Layers.Where(kv => kv.Key != before).ToDictionary(kv => kv.Key, kv => kv.Value), "float producer");
        Assert.False(QuantizedNetwork.InputAlreadyOnGrid(trained.Net, skipped, floatProducer));

        // Skipping gives the same bits as trimming every input, here and with the shifted plan.
        foreach (var p in new[] { plan, shifted })
        {
            using var skipping = new QuantizedNetwork(trained.Net, p);
            using var trimming = new QuantizedNetwork(trained.Net, p, skipRedundantTrims: false);
            skipping.eval();
            trimming.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = trained.Test.Slice(0, 100).Images;
            Assert.Equal(trimming.forward(x).data<float>().ToArray(), skipping.forward(x).data<float>().ToArray());
        }
    }

    [Fact]
    public void Should_Leave_The_Float_Network_Untouched_And_Usable_After_Disposal()
    {
        using var net = LeNet.Build(seed: 4);
        var before = ((ConvolutionLayer)net["conv1"]).Weight.data<float>().ToArray();
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["conv1"] = new(new DynamicFixedPoint(2, 4)) });
        using (var q = new QuantizedNetwork(net, plan))
        using (var scope = NewDisposeScope())
            q.forward(rand(1, 1, 28, 28));
        Assert.Equal(before, ((ConvolutionLayer)net["conv1"]).Weight.data<float>().ToArray());
        using var scope2 = NewDisposeScope();
        Assert.Equal(new long[] { 1, 10 }, net.forward(rand(1, 1, 28, 28)).shape);
    }

    [Fact]
    public void Should_Reject_A_Plan_For_A_Layer_The_Network_Lacks_Or_Cannot_Quantize()
    {
        using var net = LeNet.Build();
        var missing = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["conv9"] = new(new DynamicFixedPoint(8, 4)) });
        Assert.Contains("conv9", Assert.Throws<RistrettoException>(() => new QuantizedNetwork(net, missing)).Message);
        var pool = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["pool1"] = new(new DynamicFixedPoint(8, 4)) });
        Assert.Contains("'pool1' (Pooling) cannot be quantized", Assert.Throws<RistrettoException>(() => new QuantizedNetwork(net, pool)).Message);
    }

    [Fact]
    public void Should_Calibrate_Outputs_Where_Produced_Before_The_In_Place_ReLU()
    {
        using var net = LeNet.Build(seed: 5);
        using var data = new TensorImageSet(SyntheticDigits.Create(128, seed: 3), CPU);
        var ranges = Calibration.Measure(net, data, batches: 2, batchSize: 64);
        double expected = 0;
        using (no_grad())
        using (var scope = NewDisposeScope())
            for (int b = 0; b < 2; b++)
                net.Run(new Dictionary<string, Tensor> { ["data"] = data.Slice(b * 64, 64).Images },
                    (blob, _, t) => { if (blob == "ip1") expected = Math.Max(expected, t.abs().max().item<float>()); });
        Assert.Equal(expected, ranges["ip1"].Output, 6);
        // ip2 reads relu1's output; ip1's largest magnitude here is a negative value the ReLU removes.
        // Ristretto, reading maxima after the in-place ReLU, would have recorded the smaller one for ip1.
        Assert.True(ranges["ip2"].Input < ranges["ip1"].Output, $"{ranges["ip2"].Input} vs {ranges["ip1"].Output}");
        Assert.Equal(4, ranges.Count);
        Assert.True(ranges["conv1"].Input <= 1.0);
    }
}
