using Ristretto.Compression;
using Ristretto.Graph;
using Ristretto.Models;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Compression;

public class CompressionConstraintTests
{
    private static CompressionRecipe Recipe() => new CompressionRecipe
    {
        Prune = new() { ["conv2"] = 0.8, ["ip1"] = 0.9 },
        PruneSteps = 2,
        Share = new() { ["conv2"] = 3, ["ip1"] = 4 },
    }.Validate();

    /// <summary>One plain SGD step with random gradients, constrained as the trainer does it.</summary>
    private static void RandomStep(Network net, CompressionConstraint c, int seed)
    {
        using var scope = NewDisposeScope();
        foreach (var (_, p) in net.named_parameters())
            p.grad = randn(p.shape, generator: manual_seed(seed));
        c.ConstrainGradients();
        using (no_grad())
            foreach (var (_, p) in net.named_parameters())
                p.sub_(p.grad!.mul(Ristretto.Engine.Scalars.Full([], 0.01, ScalarType.Float32)));
        c.ConstrainWeights();
    }

    private static float[] Values(Network net, string layer) => ((IWeightedLayer)net[layer]).Weight.detach().flatten().data<float>().ToArray();

    [Fact]
    public void Pruned_Weights_Stay_Zero_And_Shared_Weights_Stay_On_At_Most_2_To_The_B_Values()
    {
        using var net = LeNet.Build(seed: 3);
        using var c = new CompressionConstraint(net, Recipe(), 30);
        c.BeginIteration(0); // phase 1: half the target
        Assert.Equal(1 - Math.Sqrt(0.1), Values(net, "ip1").Count(v => v == 0) / 400000.0, 3);
        RandomStep(net, c, 1);
        c.BeginIteration(10); // phase 2: the full target
        var zeros = Values(net, "ip1").Select(v => v == 0).ToArray();
        Assert.Equal(0.9, zeros.Count(z => z) / 400000.0, 3);
        RandomStep(net, c, 2);
        Assert.All(Values(net, "ip1").Where((_, i) => zeros[i]), v => Assert.Equal(0f, v));
        c.BeginIteration(20); // phase 3: sharing
        for (int step = 0; step < 3; step++)
            RandomStep(net, c, 10 + step);
        var ip1 = Values(net, "ip1");
        Assert.All(ip1.Where((_, i) => zeros[i]), v => Assert.Equal(0f, v));
        Assert.InRange(ip1.Where(v => v != 0).Distinct().Count(), 2, 16);
        Assert.InRange(Values(net, "conv2").Where(v => v != 0).Distinct().Count(), 2, 8);
        Assert.True(Values(net, "conv1").Distinct().Count() > 100, "a layer the recipe does not name is left alone");
    }

    [Fact]
    public void A_Restored_Constraint_Continues_Exactly_As_The_Original()
    {
        using var a = LeNet.Build(seed: 3);
        using var b = LeNet.Build(seed: 4);
        using var ca = new CompressionConstraint(a, Recipe(), 30);
        ca.BeginIteration(20);
        RandomStep(a, ca, 1);
        var section = new CompressionSection { Layers = ca.Layers(), Phases = ca.Applied };
        var back = CompressionSection.Read(new Dictionary<string, string> { [CompressionSection.Key] = section.Serialize() }, "test")!;
        ModelStore.LoadWeights(b, ModelStore.Capture("lenet", 10, a).Weights);
        using var cb = new CompressionConstraint(b, Recipe(), 30);
        cb.Restore(back, "test");
        Assert.Equal(3, cb.Applied);
        RandomStep(a, ca, 2);
        RandomStep(b, cb, 2);
        Assert.Equal(Values(a, "ip1"), Values(b, "ip1"));
        Assert.Equal(Values(a, "conv2"), Values(b, "conv2"));
    }

    [Theory]
    [InlineData("1.0", null, null, "outside [0, 1)")]
    [InlineData("-0.1", null, null, "outside [0, 1)")]
    [InlineData(null, "conv1=10", null, "larger than the 500 weights layer 'conv1' keeps")]
    [InlineData(null, null, "ip1=rank:600", "above the layer's rank 500")]
    public void Impossible_Values_Are_One_Error_Line(string? prune, string? share, string? lowRank, string message)
    {
        using var net = LeNet.Build();
        var recipe = new CompressionRecipe
        {
            Prune = CompressionRecipe.ParseMap(prune, "--prune", v => CompressionRecipe.ParseNumber(v, "--prune")),
            Share = CompressionRecipe.ParseMap(share, "--share", int.Parse),
            LowRank = CompressionRecipe.ParseMap(lowRank, "--low-rank", v => v),
        };
        var e = Assert.Throws<RistrettoException>(() =>
        {
            recipe.Validate();
            recipe.StructureEdits(net);
            recipe.Targets(net);
        });
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
