using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Graph;

/// <summary>Helpers of the graph-rewrite and export tests: non-trivial BN statistics, and output comparison.</summary>
internal static class NetworkChecks
{
    /// <summary>Gives every BN non-trivial statistics and affine parameters, and every broadcast constant random values.</summary>
    internal static void Randomise(Network net, ulong seed)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var g = new Generator(seed);
        Tensor U(long n, double lo, double hi) => rand(n, generator: g).Times(hi - lo).Plus(lo);
        foreach (var layer in net.Nodes.Select(n => n.Layer))
        {
            if (layer is BatchNormLayer bn)
            {
                long c = bn.Mean.shape[0];
                bn.Mean.copy_(U(c, -0.5, 0.5));
                bn.Variance.copy_(U(c, 0.25, 2));
                bn.Scale?.copy_(U(c, 0.5, 1.5));
                bn.Bias?.copy_(U(c, -0.5, 0.5));
            }
            else if (layer is BroadcastLayer b)
                b.Constant.copy_(U(b.Constant.numel(), b.Op == BroadcastLayer.Operation.Multiply ? 0.5 : -0.5, 1.5).reshape(b.Constant.shape));
        }
    }

    /// <summary>Every output of the two networks agrees to 1e-4 relative to the output's largest value, on a random batch.</summary>
    internal static void AssertSameOutputs(Network expected, Network actual, int batch)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var shape = expected.Inputs[0].Shape.ToArray();
        shape[0] = batch;
        using var g = new Generator(99);
        var x = rand(shape, generator: g).Times(2.0).Minus(1.0);
        var inputs = new Dictionary<string, Tensor> { [expected.Inputs[0].Name] = x };
        var a = expected.Run(inputs);
        var b = actual.Run(inputs);
        foreach (var name in expected.Outputs)
        {
            var ya = a[name];
            var yb = b[name];
            Assert.Equal(ya.shape, yb.shape);
            double scale = ya.abs().max().item<float>();
            double diff = ya.sub(yb).abs().max().item<float>();
            Assert.True(scale > 0, $"output {name} is all zeros, which proves nothing");
            Assert.True(diff <= 1e-4 * scale, $"output {name}: max |Δ| {diff:G3} for values up to {scale:G3}");
        }
    }
}
