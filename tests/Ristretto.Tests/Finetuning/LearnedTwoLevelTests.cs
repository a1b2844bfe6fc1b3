using Ristretto.Engine;
using Ristretto.Finetuning;
using Ristretto.Formats;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Tests.Finetuning;

public class LearnedTwoLevelTests
{
    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void Should_Equal_The_Format_Forward_And_Train_Alpha_With_Ttqs_Gradients(bool ternary, bool perChannel)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        var w0 = randn(3, 2, 3, 3, generator: g);
        var rows = Enumerable.Range(0, 3).Select(c => w0[c].reshape(-1).data<float>().ToArray()).ToList();
        float[] all = w0.reshape(-1).data<float>().ToArray();
        NumberFormat format = (ternary, perChannel) switch
        {
            (true, true) => TernaryFormat.PerChannelFromWeights(rows),
            (true, false) => TernaryFormat.FromWeights(all),
            (false, true) => BinaryFormat.PerChannelFromMeanAbs(rows),
            _ => BinaryFormat.FromMeanAbs(all),
        };
        var spec = new LayerQuantization(format, Learning: StepLearning.Ttq);
        using var steps = new LearnedSteps("conv", spec, CPU);
        Assert.True(steps.Learns(1));
        var w = w0.clone().requires_grad_(true);
        var y = steps.Trim(1, w, Rounding.Nearest, 0);
        // Before any step, α and Δ are the plan's (TWN's rule on the same weights): the format's own bits.
        Assert.True(Support.Bits.Same(format.Trim(w0), y.detach()));
        Assert.Equal(format, steps.Current().Weights);
        var upstream = randn(3, 2, 3, 3, generator: g);
        y.mul(upstream).sum().backward();
        var alpha = steps.Parameters().Single(p => p.name == "lsq:conv:weights:alpha").parameter;
        var gradAlpha = alpha.grad!.data<float>().ToArray();
        using (no_grad())
        {
            var codes = format.Trim(w0).sign();
            var expected = perChannel
                ? codes.mul(upstream).reshape(3, -1).sum([1]).data<float>().ToArray()
                : [codes.mul(upstream).sum().item<float>()];
            Assert.Equal(expected.Length, gradAlpha.Length);
            double scale = 1 / Math.Sqrt(w0.numel() / expected.Length);
            for (int c = 0; c < expected.Length; c++)
                Assert.Equal(expected[c] * scale, gradAlpha[c], 1e-3);
            // dL/dw = α·dL/dy where the code is ±1, dL/dy where it is 0.
            var gw = w.grad!;
            var nonzero = codes.abs().GreaterThan(0.5);
            Assert.False(where(nonzero, zeros_like(gw), gw.sub(upstream)).abs().GreaterThan(1e-6).any().item<bool>());
        }
    }

    [Fact]
    public void Should_Refuse_Ttq_On_Weights_That_Are_Not_Binary_Or_Ternary()
    {
        var spec = new LayerQuantization(new DynamicFixedPoint(4, 3), Learning: StepLearning.Ttq);
        Assert.Contains("not binary or ternary", Assert.Throws<RistrettoException>(() => new LearnedSteps("conv", spec, CPU)).Message);
        var text = """{"layers": {"conv": {"weights": {"kind": "dfp", "bw": 4, "fl": 3}, "learn": "ttq"}}}""";
        Assert.Contains("not binary or ternary", Assert.Throws<RistrettoException>(() => PlanFile.Parse(text, "p.json")).Message);
    }
}
