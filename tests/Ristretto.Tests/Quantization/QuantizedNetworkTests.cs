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
        Assert.Contains("no weights", Assert.Throws<RistrettoException>(() => new QuantizedNetwork(net, pool)).Message);
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
