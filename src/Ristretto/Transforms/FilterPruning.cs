using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Transforms;

/// <summary>
/// Structured pruning: removes whole output channels (filters of a convolution, neurons of an inner product) from
/// one layer and rewires its readers. The removed channels travel through layers that act per channel (ReLU,
/// pooling, dropout, sigmoid, tanh, ELU, clip, power) to the next convolution, whose input channels are dropped,
/// or inner product, whose input columns are dropped. Any other reader (BatchNorm, concat, eltwise, LRN, flatten,
/// a grouped convolution, a network output) is refused in one line naming it, before any tensor is touched.
/// </summary>
public static class FilterPruning
{
    /// <summary>Checks that <paramref name="layer"/>'s output channels can be removed; one error line when not.</summary>
    public static void Check(Network network, string layer)
    {
        ArgumentNullException.ThrowIfNull(network);
        var shapes = network.Validate();
        var node = network.Nodes.FirstOrDefault(n => n.Layer.LayerName == layer)
            ?? throw new RistrettoException($"network {network.Name} has no layer '{layer}'");
        if (node.Layer is ConvolutionLayer { Geo.Groups: not 1 })
            throw new RistrettoException($"cannot prune filters of '{layer}': it is a grouped convolution");
        if (node.Layer is not (ConvolutionLayer or InnerProductLayer))
            throw new RistrettoException($"cannot prune filters of '{layer}' ({node.Layer.Type}): only convolutions and inner products have filters to remove");
        Consumers(network, node, shapes);
    }

    /// <summary>
    /// A new network in which <paramref name="layer"/> keeps only the output channels <paramref name="keep"/>
    /// (ascending, distinct) and its readers are rewired; every other layer is a copy.
    /// </summary>
    public static Network Apply(Network network, string layer, IReadOnlyList<int> keep)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(keep);
        Check(network, layer);
        var shapes = network.Validate();
        var node = network.Nodes.First(n => n.Layer.LayerName == layer);
        var weighted = (IWeightedLayer)node.Layer;
        long channels = weighted.Weight.shape[0];
        if (keep.Count == 0 || keep.Count > channels || keep.Any(k => k < 0 || k >= channels) || keep.Distinct().Count() != keep.Count)
            throw new RistrettoException($"cannot prune filters of '{layer}': the kept channels must be 1 to {channels} distinct indices below {channels}");
        var consumers = Consumers(network, node, shapes);
        using var noGrad = no_grad();
        using var index = tensor(keep.Select(k => (long)k).ToArray(), device: weighted.Weight.device);
        var replaced = new Dictionary<string, Layer>(StringComparer.Ordinal);
        try
        {
            replaced[layer] = Rebuild(node.Layer, Slice(weighted.Weight, 0, index), weighted.Bias is { } b ? Slice(b, 0, index) : null);
            foreach (var (consumer, spatial) in consumers)
            {
                var w = ((IWeightedLayer)consumer.Layer).Weight;
                Parameter sliced;
                if (consumer.Layer is ConvolutionLayer)
                    sliced = Slice(w, 1, index);
                else
                {
                    // Inner product over a feature map: columns are channel-major blocks of `spatial` positions.
                    using var scope = NewDisposeScope();
                    using var offsets = Scalars.Range(spatial, ScalarType.Int64, w.device);
                    var columns = index.unsqueeze(1).Times(spatial).Plus(offsets.unsqueeze(0)).flatten();
                    sliced = Slice(w, 1, columns);
                }
                replaced[consumer.Layer.LayerName] = Rebuild(consumer.Layer, sliced, ((IWeightedLayer)consumer.Layer).Bias is { } cb ? Layer.CopyParameter(cb) : null);
            }
        }
        catch
        {
            foreach (var l in replaced.Values)
                l.Dispose();
            throw;
        }
        return Rewrite(network, replaced);
    }

    /// <summary>A copy of <paramref name="network"/> with the layers in <paramref name="replaced"/> swapped in (by name).</summary>
    internal static Network Rewrite(Network network, IReadOnlyDictionary<string, Layer> replaced)
    {
        var nodes = new List<LayerNode>();
        try
        {
            foreach (var n in network.Nodes)
                nodes.Add(n with { Layer = replaced.TryGetValue(n.Layer.LayerName, out var r) ? r : n.Layer.Copy() });
        }
        catch
        {
            foreach (var n in nodes)
                n.Layer.Dispose();
            foreach (var r in replaced.Values)
                r.Dispose();
            throw;
        }
        return network.Rewritten(nodes);
    }

    private static Parameter Slice(Tensor t, int dim, Tensor index)
    {
        using var scope = NewDisposeScope();
        var p = new Parameter(t.detach().index_select(dim, index).contiguous().clone(), t.requires_grad);
        p.DetachFromDisposeScope();
        return p;
    }

    private static Layer Rebuild(Layer layer, Parameter weight, Parameter? bias) => layer switch
    {
        ConvolutionLayer c => new ConvolutionLayer(c.LayerName, weight, bias, c.Geo),
        InnerProductLayer ip => new InnerProductLayer(ip.LayerName, weight, bias),
        _ => throw new RistrettoException($"cannot rewire '{layer.LayerName}' ({layer.Type})"),
    };

    /// <summary>The weighted readers reached from <paramref name="node"/>'s output through per-channel layers, with the spatial size per channel an inner product sees.</summary>
    private static List<(LayerNode Node, long Spatial)> Consumers(Network network, LayerNode node, IReadOnlyDictionary<string, long[]> shapes)
    {
        string layer = node.Layer.LayerName;
        var result = new List<(LayerNode, long)>();
        var pending = new Queue<string>();
        pending.Enqueue(node.Outputs[0]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            string blob = pending.Dequeue();
            if (!seen.Add(blob))
                continue;
            if (network.Outputs.Contains(blob))
                throw new RistrettoException($"cannot prune filters of '{layer}': its channels reach the network output '{blob}'");
            foreach (var reader in network.Nodes.Where(n => n.Inputs.Contains(blob)))
            {
                var r = reader.Layer;
                switch (r)
                {
                    case ConvolutionLayer { Geo.Groups: 1 }:
                        result.Add((reader, 1));
                        break;
                    case InnerProductLayer:
                        var shape = shapes[blob];
                        result.Add((reader, shape.Skip(2).Aggregate(1L, (a, d) => a * d)));
                        break;
                    case ReLULayer or PoolingLayer or DropoutLayer or SigmoidLayer or TanhLayer or EluLayer or ClipLayer or PowerLayer when reader.Inputs.Count == 1:
                        foreach (var o in reader.Outputs)
                            pending.Enqueue(o);
                        break;
                    default:
                        throw new RistrettoException($"cannot prune filters of '{layer}': its output reaches '{r.LayerName}' ({r.Type}), which cannot be rewired (only convolutions, inner products and per-channel layers can)");
                }
            }
        }
        if (result.Count == 0)
            throw new RistrettoException($"cannot prune filters of '{layer}': no convolution or inner product reads its output");
        return result;
    }
}
