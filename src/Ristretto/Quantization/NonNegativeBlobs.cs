using Ristretto.Graph;
using Ristretto.Layers;

namespace Ristretto.Quantization;

/// <summary>
/// Which blobs of a network cannot hold a negative value, read from the graph: the output of a ReLU (slope 0), of a
/// clip whose lower bound is ≥ 0 (ReLU6), of a sigmoid or softmax; pooling, flatten, reshape, dropout, LRN and concat of
/// such blobs; and a network input that calibration saw no negative value in (image data without mean subtraction).
/// An unsigned format over such a blob has one more bit of resolution and clips nothing.
/// </summary>
public static class NonNegativeBlobs
{
    /// <summary>The non-negative blobs; <paramref name="inputIsNonNegative"/> says which network inputs count as non-negative.</summary>
    public static IReadOnlySet<string> Of(Network network, Func<string, bool> inputIsNonNegative)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(inputIsNonNegative);
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in network.Inputs)
            if (inputIsNonNegative(input.Name))
                result.Add(input.Name);
        foreach (var node in network.Nodes) // topological order: every input is decided before it is read
        {
            bool all = node.Inputs.Count > 0 && node.Inputs.All(result.Contains);
            bool nonNegative = node.Layer switch
            {
                ReLULayer r => r.NegativeSlope == 0 || all,
                ClipLayer c => c.Min is >= 0 || (all && c.Max is null or >= 0),
                SigmoidLayer or SoftmaxLayer => true,
                PoolingLayer or FlattenLayer or ReshapeLayer or DropoutLayer or LrnLayer or ConcatLayer => all,
                _ => false,
            };
            if (nonNegative)
                foreach (var output in node.Outputs)
                    result.Add(output);
        }
        return result;
    }
}
