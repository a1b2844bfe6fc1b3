using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using static TorchSharp.torch;

namespace Ristretto.Tests.Quantization;

public class QuantizedLrnLayerTests
{
    private const int N = 2, C = 7, H = 3, W = 4;

    private static float Q(NumberFormat f, float v) => (float)f.Quantize(v);

    /// <summary>Ristretto's LRNFillScaleQ / LRNComputeOutputQ, one pixel at a time, in scalar float32.</summary>
    private static float[] AcrossOracle(float[] x, LrnLayer lrn, MiniFloat m)
    {
        var y = new float[x.Length];
        int size = lrn.Size, after = size - (size - 1) / 2 - 1;
        float alphaOverSize = (float)lrn.Alpha / size, k = (float)lrn.K;
        for (int n = 0; n < N; n++)
            for (int h = 0; h < H; h++)
                for (int w = 0; w < W; w++)
                {
                    int At(int c) => ((n * C + c) * H + h) * W + w;
                    float Square(int c)
                    {
                        float q = Q(m, x[At(c)]);
                        return Q(m, q * q);
                    }
                    float sum = 0;
                    var scale = new float[C];
                    for (int head = 0; head < C + after; head++)
                    {
                        if (head < C)
                            sum = Q(m, sum + Square(head));
                        if (head - size >= 0)
                            sum = Q(m, sum - Square(head - size));
                        if (head >= after)
                            scale[head - after] = Q(m, k + Q(m, sum * alphaOverSize));
                    }
                    for (int c = 0; c < C; c++)
                        y[At(c)] = Q(m, Q(m, x[At(c)]) * Q(m, (float)Math.Pow(scale[c], -(double)(float)lrn.Beta)));
                }
        return y;
    }

    /// <summary>The within-channel version: the zero-padded n×n window summed in row-major order, each addition trimmed.</summary>
    private static float[] WithinOracle(float[] x, LrnLayer lrn, MiniFloat m)
    {
        var y = new float[x.Length];
        int size = lrn.Size, pad = (size - 1) / 2;
        float alphaOverArea = (float)lrn.Alpha / (size * size);
        for (int n = 0; n < N; n++)
            for (int c = 0; c < C; c++)
                for (int h = 0; h < H; h++)
                    for (int w = 0; w < W; w++)
                    {
                        int At(int hh, int ww) => ((n * C + c) * H + hh) * W + ww;
                        float sum = 0;
                        for (int dy = 0; dy < size; dy++)
                            for (int dx = 0; dx < size; dx++)
                            {
                                int hh = h + dy - pad, ww = w + dx - pad;
                                float q = hh >= 0 && hh < H && ww >= 0 && ww < W ? Q(m, x[At(hh, ww)]) : 0;
                                sum = Q(m, sum + Q(m, q * q));
                            }
                        float scale = Q(m, 1f + Q(m, sum * alphaOverArea));
                        y[At(h, w)] = Q(m, Q(m, x[At(h, w)]) * Q(m, (float)Math.Pow(scale, -(double)(float)lrn.Beta)));
                    }
        return y;
    }

    private static Tensor Input(int seed, double spread = 3)
    {
        var g = new TorchSharp.torch.Generator((ulong)seed);
        return randn([N, C, H, W], generator: g).Times(spread);
    }

    [Theory]
    [InlineData(5, 0.3, 0.75, 2.0, 4, 3)]
    [InlineData(3, 1.0, 0.5, 1.0, 5, 6)]
    [InlineData(5, 1e-2, 0.75, 1.0, 5, 10)]
    public void Should_Trim_Every_Intermediate_Across_Channels_As_Ristrettos_Kernel_Did(int size, double alpha, double beta, double k, int exp, int mant)
    {
        using var scope = NewDisposeScope();
        var lrn = new LrnLayer("norm", size, alpha, beta, k);
        var m = new MiniFloat(exp, mant);
        using var q = new QuantizedLrnLayer(lrn, new LayerQuantization(Input: m, Output: m));
        var x = Input(size + exp);
        var y = q.forward([x])[0];
        Assert.Equal(AcrossOracle(x.data<float>().ToArray(), lrn, m), y.data<float>().ToArray());
        Assert.NotEqual(lrn.forward([x])[0].data<float>().ToArray(), y.data<float>().ToArray());
    }

    [Theory]
    [InlineData(3, 0.5, 0.75, 4, 3)]
    [InlineData(3, 5e-2, 0.75, 5, 10)]
    public void Should_Trim_Every_Intermediate_Within_A_Channel(int size, double alpha, double beta, int exp, int mant)
    {
        using var scope = NewDisposeScope();
        var lrn = new LrnLayer("norm", size, alpha, beta, 1, withinChannel: true);
        var m = new MiniFloat(exp, mant);
        using var q = new QuantizedLrnLayer(lrn, new LayerQuantization(Input: m, Output: m));
        var x = Input(exp);
        Assert.Equal(WithinOracle(x.data<float>().ToArray(), lrn, m), q.forward([x])[0].data<float>().ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Should_Match_The_Float_LRN_In_A_Format_As_Wide_As_Float32(bool withinChannel)
    {
        // Placing the windows wrongly (off by one channel or pixel) would show here, whatever the rounding.
        using var scope = NewDisposeScope();
        var lrn = new LrnLayer("norm", 5, 0.5, 0.75, 2, withinChannel);
        var wide = new MiniFloat(8, 23);
        using var q = new QuantizedLrnLayer(lrn, new LayerQuantization(Output: wide));
        var x = Input(3);
        var expected = lrn.forward([x])[0];
        var got = q.forward([x])[0];
        Assert.True(got.allclose(expected, rtol: 1e-5, atol: 1e-6), $"max difference {got.sub(expected).abs().max().item<float>()}");
    }

    [Fact]
    public void Should_Trim_The_Input_First_When_Its_Format_Differs_From_The_Arithmetic()
    {
        using var scope = NewDisposeScope();
        var lrn = new LrnLayer("norm", 3, 0.5, 0.75, 1);
        var m = new MiniFloat(5, 4);
        var dfp = new DynamicFixedPoint(6, 2);
        using var q = new QuantizedLrnLayer(lrn, new LayerQuantization(Input: dfp, Output: m));
        var x = Input(8);
        var trimmed = dfp.Trim(x);
        Assert.Equal(AcrossOracle(trimmed.data<float>().ToArray(), lrn, m), q.forward([x])[0].data<float>().ToArray());
        // No arithmetic format: the float LRN of the trimmed input.
        using var inputOnly = new QuantizedLrnLayer(lrn, new LayerQuantization(Input: dfp));
        Assert.True(Bits.Same(lrn.forward([trimmed])[0], inputOnly.forward([x])[0]));
    }

    [Fact]
    public void Should_Round_Stochastically_Onto_The_Grid_And_Reproduce_The_Same_Bits()
    {
        using var scope = NewDisposeScope();
        var lrn = new LrnLayer("norm", 5, 0.3, 0.75, 2);
        var m = new MiniFloat(4, 2);
        using var stochastic = new QuantizedLrnLayer(lrn, new LayerQuantization(Input: m, Output: m, Rounding: Rounding.Stochastic));
        using var nearest = new QuantizedLrnLayer(lrn, new LayerQuantization(Input: m, Output: m));
        var x = Input(4);
        var a = stochastic.forward([x])[0];
        Assert.True(Bits.Same(a, stochastic.forward([x])[0]));
        Assert.All(a.data<float>().ToArray(), v => Assert.Equal(v, Q(m, v)));
        Assert.False(Bits.Same(a, nearest.forward([x])[0]));
        using var drawn = new QuantizedLrnLayer(lrn, new LayerQuantization(Input: m, Output: m, Rounding: Rounding.Stochastic)) { Draws = () => (Rounding.Stochastic, 99) };
        Assert.False(Bits.Same(a, drawn.forward([x])[0]));
    }

    [Fact]
    public void Should_Pass_The_Float_LRNs_Gradient_Straight_Through()
    {
        using var scope = NewDisposeScope();
        var lrn = new LrnLayer("norm", 5, 0.3, 0.75, 2);
        var m = new MiniFloat(4, 3);
        using var q = new QuantizedLrnLayer(lrn, new LayerQuantization(Input: m, Output: m));
        var x = Input(5).requires_grad_(true);
        var y = q.forward([x])[0];
        using (no_grad())
            Assert.True(Bits.Same(y, q.forward([x.detach()])[0]));
        y.sum().backward();
        var xf = x.detach().clone().requires_grad_(true);
        lrn.forward([xf])[0].sum().backward();
        Assert.True(Bits.Same(xf.grad!, x.grad!));
    }

    [Fact]
    public void Should_Refuse_A_Spec_That_Does_Not_Fit_An_LRN_In_One_Line()
    {
        var lrn = new LrnLayer("norm1", 5);
        var dfp = new DynamicFixedPoint(8, 4);
        var e = Assert.Throws<RistrettoException>(() => new QuantizedLrnLayer(lrn, new LayerQuantization(Input: dfp, Output: dfp)));
        Assert.Contains("'norm1' (LRN)", e.Message);
        Assert.Contains("must be minifloat", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var m = new MiniFloat(5, 2);
        Assert.Contains("no weights", Assert.Throws<RistrettoException>(() => new QuantizedLrnLayer(lrn, new LayerQuantization(m, null, m, m))).Message);
        Assert.Contains("cannot be quantized", Assert.Throws<RistrettoException>(() => QuantizedLayers.Create(new ReLULayer("relu"), new LayerQuantization(Output: m))).Message);
    }

    [Fact]
    public void Should_Run_An_LRN_Planned_In_A_Network_And_Be_Carried_By_It()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var b = new NetworkBuilder("lrn-net").Input("data", 1, 3, 6, 6);
        b.Add(new ConvolutionLayer("conv1", Layer.CopyParameter(randn(8, 3, 3, 3)), null, ConvolutionLayer.Geometry.Square(3, pad: 1)), "data", "conv1");
        b.Add(new LrnLayer("norm1", 5, 1e-1, 0.75, 1), "conv1", "norm1");
        using var net = b.Build();
        var m = new MiniFloat(5, 3);
        var plan = new QuantizationPlan(new Dictionary<string, LayerQuantization> { ["norm1"] = new(Input: m, Output: m) });
        using var q = new QuantizedNetwork(net, plan);
        var x = rand(2, 3, 6, 6);
        var conv = net["conv1"].forward([x])[0];
        using var alone = new QuantizedLrnLayer((LrnLayer)net["norm1"], plan.Layers["norm1"]);
        Assert.True(Bits.Same(alone.forward([conv])[0], q.forward(x)));
        Assert.False(Bits.Same(net.forward(x), q.forward(x)));

        using var carried = new NetworkBuilder("carried").Input("data", 1, 8, 6, 6)
            .Add(new QuantizedLrnLayer(new LrnLayer("norm1", 5), plan.Layers["norm1"], owns: true), "data", "y").Build();
        Assert.Equal(plan.Layers["norm1"], QuantizationPlan.CarriedBy(carried).Layers["norm1"]);
    }
}
