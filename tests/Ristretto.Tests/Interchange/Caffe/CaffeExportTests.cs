using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Interchange.Caffe.RistrettoLayers;
using Ristretto.Interchange.Caffe.Writer;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;
using Ristretto.Training;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Caffe;

public class CaffeExportTests
{
    [Fact]
    public void Should_Write_A_Ristretto_Prototxt_That_Re_Imports_To_The_Same_Accuracy_And_Weights()
    {
        using var dir = new TempDir();
        using var trained = new TrainedLeNet(testImages: 300);
        var (net, train, test) = (trained.Net, trained.Train, trained.Test);
        var search = new RistrettoDfpSearch(net, Calibration.Measure(net, train, 4, 64), test, 3, 100, RangeRules.Ristretto.DynamicFixedPoint);
        var plan = search.Plan(2, 4, 4);
        double expected;
        using (var q = new QuantizedNetwork(net, plan))
            expected = Evaluator.Evaluate(q, test).Top1;

        CaffeExport.Save(net, plan, dir.File("q.prototxt"), dir.File("q.caffemodel"));
        string text = File.ReadAllText(dir.File("q.prototxt"));
        Assert.Contains("type: \"ConvolutionRistretto\"", text);
        Assert.Contains("type: \"FcRistretto\"", text);
        Assert.Contains("bw_params: 2", text);

        using var back = CaffeImport.Load(dir.File("q.prototxt"), dir.File("q.caffemodel"));
        Assert.Equal(expected, Evaluator.Evaluate(back, test).Top1, 4);

        // Re-quantizing a quantized net: loaded as float, it has the original float weights bit for bit.
        using var asFloat = CaffeImport.Load(dir.File("q.prototxt"), dir.File("q.caffemodel"), applyQuantization: false);
        foreach (var ((name, a), (_, b)) in net.named_parameters().Zip(asFloat.named_parameters()))
            Assert.True(a.data<float>().ToArray().SequenceEqual(b.data<float>().ToArray()), $"{name} differs");
        Assert.Equal(Evaluator.Evaluate(net, test).Top1, Evaluator.Evaluate(asFloat, test).Top1);
    }

    [Fact]
    public void Should_Quantize_A_Deconvolution_In_The_Conv_Sweep_And_Round_Trip_It_As_DeconvolutionRistretto()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("d.prototxt"), """
            name: "deconv"
            layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 28 dim: 28 } } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 4 kernel_size: 3 stride: 2 } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
            layer { name: "up1" type: "Deconvolution" bottom: "conv1" top: "up1" convolution_param { num_output: 3 kernel_size: 4 stride: 2 } }
            layer { name: "fc" type: "InnerProduct" bottom: "up1" top: "fc" inner_product_param { num_output: 10 } }
            """);
        using var net = CaffeImport.Load(dir.File("d.prototxt"));
        using var data = new TensorImageSet(SyntheticDigits.Create(128, seed: 1), CPU);
        var ranges = Calibration.Measure(net, data, 2, 64);
        Assert.True(ranges["up1"].Weights > 0 && ranges["up1"].Output > 0, "the deconvolution was not calibrated");
        var plan = new RistrettoDfpSearch(net, ranges, data, 1, 64, RangeRules.Ristretto.DynamicFixedPoint).Plan(4, 8, 8);
        var spec = plan.Layers["up1"];
        Assert.Equal(4, ((Ristretto.Formats.DynamicFixedPoint)spec.Weights!).BitWidth); // swept with the convolutions

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = data.Slice(0, 8).Images;
        using var q = new QuantizedNetwork(net, plan);
        q.eval();
        var seen = new Dictionary<string, Tensor>();
        var substitutes = new Dictionary<string, Ristretto.Graph.Layer>();
        foreach (var name in plan.Layers.Keys)
            substitutes[name] = new QuantizedLayer(net[name], plan.Layers[name], owns: false);
        net.Run(new Dictionary<string, Tensor> { ["data"] = x }, (blob, layer, t) => seen[blob] = t.clone(), substitutes);
        var deconv = (Ristretto.Layers.DeconvolutionLayer)net["up1"];
        var expected = spec.Output!.Trim(nn.functional.conv_transpose2d(spec.Input!.Trim(seen["conv1@relu1"]), spec.Weights!.Trim(deconv.Weight),
            spec.Bias!.Trim(deconv.Bias!), [2, 2]));
        Assert.Equal(expected.data<float>().ToArray(), seen["up1"].data<float>().ToArray());
        foreach (var layer in substitutes.Values)
            layer.Dispose();

        CaffeExport.Save(net, plan, dir.File("q.prototxt"), dir.File("q.caffemodel"));
        Assert.Contains("type: \"DeconvolutionRistretto\"", File.ReadAllText(dir.File("q.prototxt")));
        using var back = CaffeImport.Load(dir.File("q.prototxt"), dir.File("q.caffemodel"));
        back.eval();
        Assert.Equal(q.forward(x).data<float>().ToArray(), back.forward(x).data<float>().ToArray());
    }

    [Fact]
    public void Should_Put_LRN_Layers_In_Minifloat_Mode_And_Round_Trip_Them_As_LRNRistretto()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("n.prototxt"), """
            name: "lrn"
            layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 28 dim: 28 } } }
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 5 stride: 2 } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
            layer { name: "norm1" type: "LRN" bottom: "conv1" top: "norm1" lrn_param { local_size: 5 alpha: 0.5 beta: 0.75 k: 2 } }
            layer { name: "norm2" type: "LRN" bottom: "norm1" top: "norm2" lrn_param { local_size: 3 alpha: 0.5 beta: 0.75 norm_region: WITHIN_CHANNEL } }
            layer { name: "fc" type: "InnerProduct" bottom: "norm2" top: "fc" inner_product_param { num_output: 10 } }
            """);
        using var net = CaffeImport.Load(dir.File("n.prototxt"));
        using var data = new TensorImageSet(SyntheticDigits.Create(128, seed: 1), CPU);
        var ranges = Calibration.Measure(net, data, 2, 64);
        Assert.True(ranges["norm1"].Input > 0 && ranges["norm2"].Output > 0, "the LRN layers were not calibrated");
        var r = new RistrettoOtherModes(net, ranges, data, 1, 64).MiniFloat(marginPoints: 100);
        Assert.Equal(8, r.Bits);
        foreach (var norm in new[] { "norm1", "norm2" })
        {
            // Same width as the rest; an exponent at least the network's, enough for the window sum of squares.
            var f = Assert.IsType<Ristretto.Formats.MiniFloat>(r.Plan.Layers[norm].Output);
            Assert.Equal(8, f.BitWidth);
            Assert.Equal(r.LrnExponentBits[norm], f.ExponentBits);
            Assert.True(f.ExponentBits >= r.ExponentBits);
            Assert.True(f.MaxValue >= (norm == "norm1" ? 5 : 9) * ranges[norm].Input * ranges[norm].Input || f.ExponentBits == 8);
        }

        CaffeExport.Save(net, r.Plan, dir.File("q.prototxt"), dir.File("q.caffemodel"));
        string text = File.ReadAllText(dir.File("q.prototxt"));
        Assert.Equal(2, text.Split("type: \"LRNRistretto\"").Length - 1);
        using var back = CaffeImport.Load(dir.File("q.prototxt"), dir.File("q.caffemodel"));
        Assert.Equal(r.Plan.Layers["norm2"], QuantizationPlan.CarriedBy(back).Layers["norm2"]);
        using var q = new QuantizedNetwork(net, r.Plan);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = data.Slice(0, 16).Images;
        Assert.True(Bits.Same(q.forward(x), back.forward(x)));
        Assert.False(Bits.Same(net.forward(x), back.forward(x)));

        // LRNRistretto holds one minifloat: an LRN whose input is trimmed to another format cannot be written.
        var mixed = new QuantizationPlan(new Dictionary<string, LayerQuantization>
        {
            ["norm1"] = new(Input: new Ristretto.Formats.DynamicFixedPoint(8, 4), Output: new Ristretto.Formats.MiniFloat(4, 3)),
        });
        var e = Assert.Throws<RistrettoException>(() => CaffeExport.Save(net, mixed, dir.File("m.prototxt"), dir.File("m.caffemodel")));
        Assert.Contains("'norm1'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(File.Exists(dir.File("m.prototxt")));
    }

    [Fact]
    public void Should_Round_Trip_A_Float_Network_And_The_Ristretto_Modes_Through_Caffe()
    {
        using var dir = new TempDir();
        using var net = LeNet.Build(seed: 5);
        CaffeExport.Save(net, null, dir.File("f.prototxt"), dir.File("f.caffemodel"));
        using var back = CaffeImport.Load(dir.File("f.prototxt"), dir.File("f.caffemodel"));
        Assert.DoesNotContain("Ristretto", File.ReadAllText(dir.File("f.prototxt")));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(3, 1, 28, 28);
        Assert.Equal(net.forward(x).data<float>().ToArray(), back.forward(x).data<float>().ToArray());

        var mini = new Ristretto.Formats.MiniFloat(4, 3);
        var minifloat = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["ip1"] = new(mini, mini, mini, mini) });
        CaffeExport.Save(net, minifloat, dir.File("m.prototxt"), dir.File("m.caffemodel"));
        Assert.Contains("precision: MINIFLOAT", File.ReadAllText(dir.File("m.prototxt")));
        using var m = CaffeImport.Load(dir.File("m.prototxt"), dir.File("m.caffemodel"));
        using var qm = new QuantizedNetwork(net, minifloat);
        Assert.Equal(qm.forward(x).data<float>().ToArray(), m.forward(x).data<float>().ToArray());
    }

    [Fact]
    public void Should_Refuse_A_Caffemodel_Whose_Blob_Shape_Disagrees_With_The_Prototxt()
    {
        using var dir = new TempDir();
        using var net = LeNet.Build(seed: 5);
        CaffeExport.Save(net, null, dir.File("f.prototxt"), dir.File("f.caffemodel"));
        // The same network with conv2 given 40 outputs instead of 50: its weights no longer fit the prototxt.
        string text = File.ReadAllText(dir.File("f.prototxt"));
        int at = text.IndexOf("num_output: 50", StringComparison.Ordinal);
        Assert.True(at > 0);
        File.WriteAllText(dir.File("g.prototxt"), text[..at] + "num_output: 40" + text[(at + "num_output: 50".Length)..]);
        var e = Assert.Throws<RistrettoException>(() => CaffeImport.Load(dir.File("g.prototxt"), dir.File("f.caffemodel")));
        Assert.Contains("conv2", e.Message);
        Assert.Contains("50x20x5x5", e.Message.Replace("×", "x"));
        Assert.DoesNotContain('\n', e.Message);
    }
}
