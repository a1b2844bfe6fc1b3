using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Transforms;
using Ristretto.Zoo;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Tests.Transforms;

public class StructureEditTests
{
    private static Tensor Batch() => Ristretto.Engine.Scalars.Full([4, 1, 28, 28], 0, ScalarType.Float32).normal_(generator: manual_seed(3));

    [Fact]
    public void Pruned_Filters_Compute_What_The_Network_Computes_With_Those_Filters_Zeroed()
    {
        using var net = LeNet.Build(seed: 5);
        using var x = Batch();
        int[] keep = Enumerable.Range(0, 50).Where(c => c % 2 == 0).ToArray();
        using var pruned = FilterPruning.Apply(net, "conv2", keep);
        Assert.Equal([25L, 20, 5, 5], ((IWeightedLayer)pruned["conv2"]).Weight.shape);
        Assert.Equal([500L, 25 * 16], ((IWeightedLayer)pruned["ip1"]).Weight.shape);
        using var y = pruned.forward(x);
        using (no_grad())
        {
            var conv2 = (ConvolutionLayer)net["conv2"];
            foreach (int c in Enumerable.Range(0, 50).Except(keep))
            {
                conv2.Weight[c].zero_();
                conv2.Bias![c].zero_();
            }
        }
        using var expected = net.forward(x);
        Assert.True(y.allclose(expected, rtol: 1e-4, atol: 1e-5), "the rewired network should equal the original with those filters zeroed");
    }

    [Fact]
    public void Pruning_Filters_Whose_Channels_Reach_The_Output_Or_An_Eltwise_Is_Refused_In_One_Line()
    {
        using var net = LeNet.Build();
        var e = Assert.Throws<RistrettoException>(() => FilterPruning.Apply(net, "ip2", [0, 1]));
        Assert.Contains("network output", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        using var residual = new NetworkBuilder("residual").Input("data", 1, 2, 4, 4)
            .Add(new ConvolutionLayer("a", Weight(2, 2, 1, 1), null, ConvolutionLayer.Geometry.Square(1)), "data", "a")
            .Add(new EltwiseLayer("sum"), ["a", "data"], ["sum"])
            .Add(new ConvolutionLayer("b", Weight(2, 2, 1, 1), null, ConvolutionLayer.Geometry.Square(1)), "sum", "b")
            .Build();
        e = Assert.Throws<RistrettoException>(() => FilterPruning.Apply(residual, "a", [0]));
        Assert.Contains("'sum' (Eltwise), which cannot be rewired", e.Message);
    }

    [Fact]
    public void Full_Rank_Factors_Reproduce_The_Layer_And_A_Rank_Above_The_Layers_Is_Refused()
    {
        using var net = LeNet.Build(seed: 5);
        using var x = Batch();
        using var expected = net.forward(x);
        using var ip = LowRankFactorization.Apply(net, "ip2", 10);
        using var conv = LowRankFactorization.Apply(net, "conv2", 50);
        Assert.Equal([10L, 500], ((IWeightedLayer)ip["ip2" + LowRankFactorization.FirstSuffix]).Weight.shape);
        Assert.Equal([50L, 20, 5, 5], ((IWeightedLayer)conv["conv2" + LowRankFactorization.FirstSuffix]).Weight.shape);
        Assert.Equal([50L, 50, 1, 1], ((IWeightedLayer)conv["conv2"]).Weight.shape);
        using var y1 = ip.forward(x);
        using var y2 = conv.forward(x);
        Assert.True(y1.allclose(expected, rtol: 1e-3, atol: 1e-4));
        Assert.True(y2.allclose(expected, rtol: 1e-3, atol: 1e-4));
        var e = Assert.Throws<RistrettoException>(() => LowRankFactorization.Apply(net, "ip2", 11));
        Assert.Contains("outside 1 to 10", e.Message);
    }

    [Fact]
    public void Edits_Replay_On_A_Fresh_Architecture_To_The_Same_Shapes()
    {
        using var net = LeNet.Build(seed: 5);
        StructureEdit[] edits = [new(StructureEdit.PruneFilters, "conv2", Enumerable.Range(0, 20).ToArray()), new(StructureEdit.LowRank, "ip1", Rank: 12)];
        using var edited = StructureEdit.ApplyAll(net, edits);
        using var fresh = LeNet.Build(seed: 9);
        using var replayed = StructureEdit.ApplyAll(fresh, edits);
        Assert.Equal(edited.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape))),
            replayed.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape))));
    }

    private static Parameter Weight(params long[] shape) => new(Ristretto.Engine.Scalars.Full(shape, 0.5, ScalarType.Float32));
}
