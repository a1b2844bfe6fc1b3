using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Transforms;

/// <summary>One equalized pair: the producer, the consumer, and the largest and smallest per-channel factor applied.</summary>
/// <param name="First">The layer whose output channels were divided by the factors.</param>
/// <param name="Second">The layer whose matching input channels were multiplied by them.</param>
/// <param name="Channels">The channels rescaled.</param>
/// <param name="SmallestFactor">The smallest product of the factors over all sweeps.</param>
/// <param name="LargestFactor">The largest.</param>
public sealed record EqualizedPair(string First, string Second, long Channels, double SmallestFactor, double LargestFactor);

/// <summary>
/// Cross-layer equalization (Nagel et al., "Data-Free Quantization Through Weight Equalization and Bias Correction",
/// 2019), in place on a network's weights. For two weighted layers A → B joined only through operations that commute
/// with a positive per-channel factor (ReLU or leaky ReLU, max or average pooling, dropout, flatten), dividing A's output
/// channel i (its weights and bias) by s_i and multiplying B's input channel i by s_i computes the same function. With
/// s_i = √(r1_i / r2_i), r1_i the largest |w| of A's output channel i and r2_i that of B's input channel i, both become
/// √(r1_i · r2_i): per-tensor formats no longer spend their range on one channel. Chains (conv1 → conv2 → ip1 → ip2)
/// are swept pair by pair until the factors settle. Batch normalisation must be folded first
/// (<see cref="BatchNormFolding"/>): a batch norm between A and B does not commute, and ends the chain there.
/// </summary>
public static class CrossLayerEqualization
{
    /// <summary>Most sweeps over the pairs.</summary>
    public const int MaxSweeps = 50;

    /// <summary>
    /// Equalizes every eligible pair of <paramref name="network"/> in place and returns them (empty when none). Weights are
    /// computed in float64 and stored back in their own type. Deterministic.
    /// </summary>
    public static IReadOnlyList<EqualizedPair> Apply(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var pairs = Pairs(network);
        if (pairs.Count == 0)
            return [];
        var low = pairs.Select(_ => double.PositiveInfinity).ToArray();
        var high = pairs.Select(_ => 0.0).ToArray();
        var total = new Tensor[pairs.Count];
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int k = 0; k < pairs.Count; k++)
            total[k] = ones(pairs[k].Channels, dtype: ScalarType.Float64);
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            double largestChange = 0;
            for (int k = 0; k < pairs.Count; k++)
            {
                var s = Factors(pairs[k]);
                largestChange = Math.Max(largestChange, s.log().abs().max().item<double>());
                Rescale(pairs[k], s);
                total[k] = total[k].mul(s);
            }
            if (largestChange < 1e-6)
                break;
        }
        var result = new List<EqualizedPair>();
        for (int k = 0; k < pairs.Count; k++)
        {
            low[k] = total[k].min().item<double>();
            high[k] = total[k].max().item<double>();
            result.Add(new EqualizedPair(pairs[k].First.LayerName, pairs[k].Second.LayerName, pairs[k].Channels, low[k], high[k]));
        }
        return result;
    }

    /// <summary>A pair A → B: B's input channel c spans <see cref="Spread"/> consecutive inputs (an FC after a flatten).</summary>
    private sealed record Pair(Layer First, IWeightedLayer FirstWeights, Layer Second, IWeightedLayer SecondWeights, long Channels, long Spread);

    /// <summary>The eligible pairs, in network order.</summary>
    public static IReadOnlyList<(string First, string Second)> Eligible(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return Pairs(network).Select(p => (p.First.LayerName, p.Second.LayerName)).ToList();
    }

    private static List<Pair> Pairs(Network network)
    {
        var shapes = network.Validate();
        var returned = network.Outputs.ToHashSet(StringComparer.Ordinal);
        var pairs = new List<Pair>();
        for (int a = 0; a < network.Nodes.Count; a++)
        {
            var first = network.Nodes[a];
            if (first.Layer is not (ConvolutionLayer or InnerProductLayer) || first.Outputs.Count != 1)
                continue;
            string blob = first.Outputs[0];
            long channels = shapes[blob][1];
            int at = a;
            while (true)
            {
                if (returned.Contains(blob))
                    break;
                // Readers of this blob after the node that wrote it, in order; in-place commuting operations may come first.
                var readers = Enumerable.Range(at + 1, network.Nodes.Count - at - 1).Where(j => network.Nodes[j].Inputs.Contains(blob)).ToList();
                var writers = Enumerable.Range(at + 1, network.Nodes.Count - at - 1).Where(j => network.Nodes[j].Outputs.Contains(blob)).ToList();
                int r = 0;
                while (r < readers.Count && writers.Contains(readers[r]) && InPlaceCommuting(network.Nodes[readers[r]]))
                    r++;
                if (writers.Any(w => !readers.Take(r).Contains(w)) || readers.Count != r + 1)
                    break; // rewritten by something else, read by more than one, or by none
                var next = network.Nodes[readers[r]];
                if (next.Inputs.Count != 1 || next.Outputs.Count != 1)
                    break;
                if (next.Layer is ConvolutionLayer { Geo.Groups: 1 } conv && conv.Weight.shape[1] == channels)
                {
                    pairs.Add(new Pair(first.Layer, (IWeightedLayer)first.Layer, next.Layer, conv, channels, 1));
                    break;
                }
                if (next.Layer is InnerProductLayer fc && fc.Weight.shape[1] % channels == 0 && shapes[blob].Skip(1).Aggregate(1L, (x, y) => x * y) == fc.Weight.shape[1])
                {
                    pairs.Add(new Pair(first.Layer, (IWeightedLayer)first.Layer, next.Layer, fc, channels, fc.Weight.shape[1] / channels));
                    break;
                }
                if (!Commutes(next.Layer) || next.Outputs[0] == blob || shapes[next.Outputs[0]].Length < 2 || !SameChannels(next.Layer, shapes[blob], shapes[next.Outputs[0]]))
                    break;
                (blob, at) = (next.Outputs[0], readers[r]);
            }
        }
        return pairs;
    }

    private static bool InPlaceCommuting(LayerNode node) =>
        node.Layer is ReLULayer or DropoutLayer && node.Inputs.Count == 1 && node.Outputs.Count == 1 && node.Inputs[0] == node.Outputs[0];

    /// <summary>Operations f with f(s·x) = s·f(x) for a positive per-channel s.</summary>
    private static bool Commutes(Layer layer) => layer is ReLULayer or DropoutLayer or PoolingLayer or FlattenLayer;

    /// <summary>Channel c of the input is channel c of the output (a flatten keeps channel-major order: c spans H·W features).</summary>
    private static bool SameChannels(Layer layer, long[] input, long[] output) =>
        layer is FlattenLayer f ? f.Axis == 1 : output[1] == input[1];

    /// <summary>s_i = √(r1_i / r2_i), 1 where either range is 0.</summary>
    private static Tensor Factors(Pair p)
    {
        var w1 = p.FirstWeights.Weight.detach().to(ScalarType.Float64);
        var r1 = w1.abs().reshape(p.Channels, -1).amax([1]);
        var w2 = p.SecondWeights.Weight.detach().to(ScalarType.Float64);
        var r2 = w2.abs().reshape(w2.shape[0], p.Channels, -1).amax([0, 2]);
        var s = r1.div(r2).sqrt();
        return where(r1.GreaterThan(0).logical_and(r2.GreaterThan(0)), s, ones_like(s));
    }

    private static void Rescale(Pair p, Tensor s)
    {
        var w1 = p.FirstWeights.Weight;
        var shape1 = new long[] { p.Channels }.Concat(Enumerable.Repeat(1L, (int)w1.dim() - 1)).ToArray();
        w1.copy_(w1.detach().to(ScalarType.Float64).div(s.reshape(shape1)).to(w1.dtype));
        if (p.FirstWeights.Bias is { } b1)
            b1.copy_(b1.detach().to(ScalarType.Float64).div(s).to(b1.dtype));
        var w2 = p.SecondWeights.Weight;
        var grouped = w2.detach().to(ScalarType.Float64).reshape(w2.shape[0], p.Channels, -1).mul(s.reshape(1, p.Channels, 1));
        w2.copy_(grouped.reshape(w2.shape).to(w2.dtype));
    }
}
