using Ristretto.Engine;
using Ristretto.Finetuning;
using Ristretto.Formats;
using Ristretto.Quantization;
using Ristretto.Training;
using static TorchSharp.torch;

namespace Ristretto.Tests.Finetuning;

public class LearnedStepsTests
{
    private static LayerQuantization Spec(StepLearning learning, ScaleKind kind = ScaleKind.Float) => new(
        Weights: new IntegerFormat(4, true, [0.5f, 0.25f], null, 0, narrowRange: true, kind),
        Bias: new IntegerFormat(24, true, [0.5f * 0.125f, 0.25f * 0.125f], null, 0),
        Input: new IntegerFormat(4, true, [0.125f], null, null, narrowRange: true, kind),
        Output: IntegerFormat.Asymmetric(4, 0.5f, 3),
        Learning: learning);

    [Fact]
    public void The_Loss_Should_Reach_The_Weight_Step()
    {
        using var steps = new LearnedSteps("conv", Spec(StepLearning.Lsq), CPU);
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var w = randn(2, 3, 3, 3, generator: g).requires_grad_(true);
        var y = steps.Trim(1, w, Rounding.Nearest, 0);
        // The forward value is the format's own trim with the initial scales.
        Assert.True(Support.Bits.Same(Spec(StepLearning.Lsq).Weights!.Trim(w.detach()), y.detach()));
        y.mul(y).sum().backward();
        var scale = steps.Parameters().Single(p => p.name == "lsq:conv:weights:scale").parameter;
        Assert.NotNull(scale.grad);
        using var gradient = scale.grad!;
        var grad = gradient.data<float>().ToArray();
        Assert.Equal(2, grad.Length);
        Assert.All(grad, g => Assert.NotEqual(0f, g));
        Assert.NotNull(w.grad);
    }

    [Fact]
    public void Lsq_Should_Train_Every_Scale_And_LsqPlus_Also_The_Offsets_Of_Asymmetric_Tensors()
    {
        using var lsq = new LearnedSteps("c", Spec(StepLearning.Lsq), CPU);
        Assert.Equal(["lsq:c:input:scale", "lsq:c:weights:scale", "lsq:c:output:scale"], lsq.Parameters().Select(p => p.name));
        using var plus = new LearnedSteps("c", Spec(StepLearning.LsqPlus), CPU);
        Assert.Equal(["lsq:c:input:scale", "lsq:c:weights:scale", "lsq:c:output:scale", "lsq:c:output:offset"], plus.Parameters().Select(p => p.name));
        Assert.False(plus.Learns(2), "the bias follows the weight and input steps; it has none of its own");
        Assert.Equal(Spec(StepLearning.LsqPlus), plus.Current());
    }

    [Fact]
    public void Current_Formats_Should_Snap_Learned_Values_And_Keep_The_Bias_At_The_Product()
    {
        using var steps = new LearnedSteps("c", Spec(StepLearning.LsqPlus, ScaleKind.PowerOfTwo), CPU);
        var p = steps.Parameters().ToDictionary(x => x.name, x => x.parameter);
        using (no_grad())
        {
            using var w = tensor(new[] { 0.3f, 0.26f });
            p["lsq:c:weights:scale"].copy_(w);
            using var i = tensor(new[] { 0.2f });
            p["lsq:c:input:scale"].copy_(i);
            using var o = tensor(new[] { 0.4f });
            p["lsq:c:output:scale"].copy_(o);
            using var beta = tensor(new[] { -2.1f * 0.4f });
            p["lsq:c:output:offset"].copy_(beta);
        }
        var now = steps.Current();
        var weights = Assert.IsType<IntegerFormat>(now.Weights);
        Assert.Equal([0.25f, 0.25f], weights.Scales.ToArray());               // 0.3 and 0.26 snap to 2^-2
        Assert.Equal([0.25f], ((IntegerFormat)now.Input!).Scales.ToArray());  // 0.2 snaps to 2^-2 too (log2 0.2 = -2.32)
        var output = (IntegerFormat)now.Output!;
        Assert.Equal([0.4f], output.Scales.ToArray());                         // a float scale stays as learned
        Assert.Equal([2], output.ZeroPoints.ToArray());                        // z = round(-β / s) = round(2.1)
        Assert.Equal([0.25f * 0.25f, 0.25f * 0.25f], ((IntegerFormat)now.Bias!).Scales.ToArray());
        Assert.Equal(StepLearning.LsqPlus, now.Learning);
    }

    [Fact]
    public void Learned_Values_Should_Restore_Exactly_And_Refuse_A_Mismatch()
    {
        using var a = new LearnedSteps("c", Spec(StepLearning.LsqPlus), CPU);
        using (no_grad())
            foreach (var (_, p) in a.Parameters())
                p.TimesInPlace(1.37);
        var values = a.Values().ToDictionary(kv => kv.Key, kv => kv.Value);
        using var b = new LearnedSteps("c", Spec(StepLearning.LsqPlus), CPU);
        b.Restore(values, "x.ckpt");
        Assert.Equal(a.Current(), b.Current());
        values.Remove("lsq:c:output:offset");
        Assert.Contains("lsq:c:output:offset", Assert.Throws<RistrettoException>(() => b.Restore(values, "x.ckpt")).Message);
    }

    [Fact]
    public void A_Layer_Without_An_Int_Format_Cannot_Learn_Steps()
    {
        var spec = new LayerQuantization(new DynamicFixedPoint(4, 2), Learning: StepLearning.Lsq);
        Assert.Contains("no int format", Assert.Throws<RistrettoException>(() => new LearnedSteps("c", spec, CPU)).Message);
    }

    [Fact]
    public void The_Solver_Should_Not_Decay_Learned_Steps()
    {
        using var w = new TorchSharp.Modules.Parameter(ones(3));
        using var s = new TorchSharp.Modules.Parameter(ones(1));
        using var solver = new CaffeSgd([("conv.weight", w), ("lsq:conv:weights:scale", s)],
            new SolverSettings { BaseLr = 0.1, WeightDecay = 0.5, Momentum = 0 });
        using (no_grad())
        {
            w.grad = zeros(3);
            s.grad = zeros(1);
        }
        solver.Step(0);
        Assert.Equal(0.95f, w.data<float>()[0], 6);   // 1 - 0.1 · 0.5 · 1
        Assert.Equal(1f, s.data<float>()[0]);
    }
}
