using Ristretto.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Training;

public class SolverTests
{
    [Fact]
    public void Should_Follow_Caffes_Inv_Policy()
    {
        var s = new SolverSettings();
        Assert.Equal(0.01, s.LearningRate(0), 12);
        Assert.Equal(0.01 * Math.Pow(1 + 1e-4 * 5000, -0.75), s.LearningRate(5000), 12);
        var step = s with { Policy = LearningRatePolicy.Step, Gamma = 0.1, StepSize = 100 };
        Assert.Equal(0.001, step.LearningRate(150), 12);
        Assert.Equal(0.01, (s with { Policy = LearningRatePolicy.Fixed }).LearningRate(9999), 12);
    }

    [Fact]
    public void Should_Update_Like_Caffes_Sgd_With_Momentum_Decay_And_Bias_Multiplier()
    {
        using var layer = nn.Linear(1, 1);
        using (no_grad())
        {
            layer.weight!.copy_(tensor(new[] { 2f }).reshape(1, 1));
            layer.bias!.copy_(tensor(new[] { 1f }));
        }
        var s = new SolverSettings { BaseLr = 0.1, Momentum = 0.5, WeightDecay = 0.01, Policy = LearningRatePolicy.Fixed };
        using var sgd = new CaffeSgd(layer, s);
        double w = 2, b = 1, vw = 0, vb = 0;
        for (int t = 0; t < 3; t++)
        {
            layer.zero_grad();
            using (var scope = NewDisposeScope())
                layer.forward(ones(1, 1)).sum().backward(); // dL/dw = 1, dL/db = 1
            sgd.Step(t);
            vw = 0.5 * vw + 0.1 * (1 + 0.01 * w); w -= vw;
            vb = 0.5 * vb + 0.1 * 2 * (1 + 0.01 * b); b -= vb;
        }
        Assert.Equal(w, layer.weight!.item<float>(), 5);
        Assert.Equal(b, layer.bias!.item<float>(), 5);
    }

    [Fact]
    public void The_Cosine_Schedule_Should_Fall_From_The_Base_Rate_To_Zero()
    {
        var s = new SolverSettings { BaseLr = 0.02, Policy = LearningRatePolicy.Cosine, Iterations = 1000 };
        Assert.Equal(0.02, s.LearningRate(0), 12);
        Assert.Equal(0.01, s.LearningRate(500), 12);
        Assert.Equal(0.02 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), s.LearningRate(250), 12);
        Assert.Equal(0, s.LearningRate(1000), 12);
    }

    [Fact]
    public void Should_Update_Like_Caffes_Adam_With_Bias_Correction_And_Export_Its_Moments()
    {
        using var layer = nn.Linear(1, 1);
        using (no_grad())
        {
            layer.weight!.copy_(tensor(new[] { 2f }).reshape(1, 1));
            layer.bias!.copy_(tensor(new[] { 1f }));
        }
        var s = new SolverSettings { BaseLr = 0.1, Momentum = 0.9, Beta2 = 0.99, WeightDecay = 0.01, Policy = LearningRatePolicy.Fixed, BiasLrMult = 1, Solver = SolverKind.Adam };
        using var adam = (AdamSolver)Solvers.Create(layer, s);
        double w = 2, m = 0, v = 0;
        for (int t = 0; t < 3; t++)
        {
            layer.zero_grad();
            using (var scope = NewDisposeScope())
                layer.forward(ones(1, 1)).sum().backward();
            adam.Step(t);
            double g = 1 + 0.01 * w;
            m = 0.9 * m + 0.1 * g;
            v = 0.99 * v + 0.01 * g * g;
            double rate = 0.1 * Math.Sqrt(1 - Math.Pow(0.99, t + 1)) / (1 - Math.Pow(0.9, t + 1));
            w -= rate * m / (Math.Sqrt(v) + 1e-8);
        }
        Assert.Equal(w, layer.weight!.item<float>(), 5);
        var state = adam.ExportState();
        Assert.Equal(["m:bias", "v:bias", "m:weight", "v:weight"], state.Select(b => b.Name));
        using var other = nn.Linear(1, 1);
        using var copy = new AdamSolver(other, s);
        copy.ImportState(state);
        Assert.Equal(state.Select(b => b.Data), copy.ExportState().Select(b => b.Data));
        Assert.Contains("SGD", Assert.Throws<RistrettoException>(() => copy.ImportState([state[0] with { Name = "weight" }])).Message);
    }

    [Theory]
    [InlineData(0, 0.9, 0.0, 64, 10)]
    [InlineData(0.01, 1.0, 0.0, 64, 10)]
    [InlineData(0.01, 0.9, -1, 64, 10)]
    [InlineData(0.01, 0.9, 0.0, 0, 10)]
    [InlineData(0.01, 0.9, 0.0, 64, 0)]
    public void Should_Reject_Settings_That_Cannot_Train(double lr, double momentum, double decay, int batch, int iterations)
    {
        var s = new SolverSettings { BaseLr = lr, Momentum = momentum, WeightDecay = decay, BatchSize = batch, Iterations = iterations };
        Assert.Throws<RistrettoException>(() => s.Validate());
    }
}
