using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Transforms;

/// <summary>
/// Folds inference batch normalisation into the layer before it, as a graph rewrite. A
/// <see cref="BatchNormLayer"/> whose input is the only output of a convolution, deconvolution or inner
/// product that nothing else reads (and that the network does not return) is merged into that layer's
/// weights and bias, together with a per-channel multiply and then a per-channel add that directly follow
/// it under the same conditions (Caffe's Scale layer, which the importer maps to those two
/// <see cref="BroadcastLayer"/>s, or ONNX Mul/Add). The merged layer writes the blob the last folded layer
/// wrote, so in-place chains (<c>conv1</c> → <c>conv1@bn1</c> → <c>conv1@scale1</c>) and every reader keep
/// their blob names. Any other batch norm (after a ReLU or a pooling, or after a layer whose output fans
/// out) stays as it is.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// A new network with every foldable batch norm merged. The new network owns all its tensors (each layer
    /// is copied; the source network is unchanged and can be used and disposed independently). It keeps the
    /// source's name, inputs, outputs and training mode. Weights are combined in float64 and stored as float32,
    /// with a bias created where the folded layer had none.
    /// </summary>
    public static Network Fold(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var shapes = network.Validate();
        var chains = FindChains(network, shapes);
        var absorbed = chains.Values.SelectMany(c => c.Absorbed).ToHashSet();
        var nodes = new List<LayerNode>();
        var removedBlobs = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var noGrad = no_grad();
            for (int i = 0; i < network.Nodes.Count; i++)
            {
                var node = network.Nodes[i];
                if (absorbed.Contains(i))
                    continue;
                if (chains.TryGetValue(i, out var chain))
                {
                    var last = network.Nodes[chain.Absorbed[^1]];
                    nodes.Add(new LayerNode(Merge(node.Layer, chain.Absorbed.Select(k => network.Nodes[k].Layer).ToList()), node.Inputs, last.Outputs));
                    removedBlobs.Add(node.Outputs[0]);
                    foreach (int k in chain.Absorbed.SkipLast(1))
                        removedBlobs.Add(network.Nodes[k].Outputs[0]);
                    continue;
                }
                nodes.Add(new LayerNode(node.Layer.Copy(), node.Inputs, node.Outputs));
            }
        }
        catch
        {
            foreach (var n in nodes)
                n.Layer.Dispose();
            throw;
        }
        var sourceNames = network.SourceBlobNames.Where(p => !removedBlobs.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return network.Rewritten(nodes, sourceNames);
    }

    /// <summary>Per producer node: the node indices merged into it (a batch norm, then an optional multiply, then an optional add).</summary>
    private sealed record Chain(List<int> Absorbed);

    private static Dictionary<int, Chain> FindChains(Network network, IReadOnlyDictionary<string, long[]> shapes)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        var readers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < network.Nodes.Count; i++)
        {
            foreach (var blob in network.Nodes[i].Outputs)
                producer[blob] = i;
            foreach (var blob in network.Nodes[i].Inputs)
                (readers.TryGetValue(blob, out var list) ? list : readers[blob] = []).Add(i);
        }
        var returned = network.Outputs.ToHashSet(StringComparer.Ordinal);
        // The one node reading blob, once, when the network does not return it; else null.
        int? SoleReader(string blob) =>
            !returned.Contains(blob) && readers.TryGetValue(blob, out var r) && r.Count == 1 && network.Nodes[r[0]].Inputs.Count == 1 ? r[0] : null;

        var chains = new Dictionary<int, Chain>();
        for (int i = 0; i < network.Nodes.Count; i++)
        {
            var node = network.Nodes[i];
            if (node.Layer is not BatchNormLayer || !producer.TryGetValue(node.Inputs[0], out int p))
                continue;
            var source = network.Nodes[p];
            if (source.Layer is not (ConvolutionLayer or DeconvolutionLayer or InnerProductLayer) || SoleReader(source.Outputs[0]) != i)
                continue;
            var absorbed = new List<int> { i };
            string blob = node.Outputs[0];
            foreach (var op in new[] { BroadcastLayer.Operation.Multiply, BroadcastLayer.Operation.Add })
            {
                if (SoleReader(blob) is { } next && network.Nodes[next].Layer is BroadcastLayer b && b.Op == op && PerChannel(b, shapes[blob]) is not null)
                {
                    absorbed.Add(next);
                    blob = network.Nodes[next].Outputs[0];
                }
            }
            chains[p] = new Chain(absorbed);
        }
        return chains;
    }

    /// <summary>The constant as one value per channel of <paramref name="input"/> (axis 1), or null when it varies along another axis.</summary>
    private static long? PerChannel(BroadcastLayer layer, long[] input)
    {
        var c = layer.Constant.shape;
        if (c.Length > input.Length || input.Length < 2)
            return null;
        var aligned = Enumerable.Repeat(1L, input.Length - c.Length).Concat(c).ToArray();
        for (int axis = 0; axis < aligned.Length; axis++)
            if (aligned[axis] != 1 && axis != 1)
                return null;
        return aligned[1] == 1 || aligned[1] == input[1] ? input[1] : null;
    }

    /// <summary>A copy of <paramref name="layer"/> whose weights and bias also apply <paramref name="followers"/>.</summary>
    private static Layer Merge(Layer layer, List<Layer> followers)
    {
        using var scope = NewDisposeScope();
        var (weight, bias) = layer switch
        {
            ConvolutionLayer c => (c.Weight, c.Bias),
            DeconvolutionLayer d => (d.Weight, d.Bias),
            InnerProductLayer f => (f.Weight, f.Bias),
            _ => throw new InvalidOperationException($"{layer.Type} is not foldable"),
        };
        var bn = (BatchNormLayer)followers[0];
        long channels = bn.Mean.shape[0];
        // y = a · x + c per channel.
        var a = bn.Variance.to(ScalarType.Float64).Plus(bn.Epsilon).rsqrt();
        if (bn.Scale is { } gamma)
            a = a.mul(gamma.detach().to(ScalarType.Float64));
        var shift = bn.Bias is { } beta ? beta.detach().to(ScalarType.Float64) : zeros(channels, dtype: ScalarType.Float64, device: weight.device);
        shift = shift.sub(bn.Mean.to(ScalarType.Float64).mul(a));
        foreach (var f in followers.Skip(1).Cast<BroadcastLayer>())
        {
            var k = f.Constant.detach().to(ScalarType.Float64).reshape(-1).expand(channels);
            if (f.Op == BroadcastLayer.Operation.Multiply)
            {
                a = a.mul(k);
                shift = shift.mul(k);
            }
            else
                shift = shift.Plus(k);
        }
        var w = weight.detach().to(ScalarType.Float64);
        Tensor scaled = layer switch
        {
            DeconvolutionLayer d => ScaleDeconvolution(w, a, d.Geo.Groups),
            _ => w.mul(a.reshape([channels, .. Enumerable.Repeat(1L, (int)w.dim() - 1)])),
        };
        var b = bias is null ? shift : bias.detach().to(ScalarType.Float64).mul(a).Plus(shift);
        var newWeight = Layer.CopyParameter(scaled.to(weight.dtype), weight.requires_grad);
        var newBias = Layer.CopyParameter(b.to(weight.dtype), bias?.requires_grad ?? weight.requires_grad);
        Layer merged = layer switch
        {
            ConvolutionLayer c => new ConvolutionLayer(c.LayerName, newWeight, newBias, c.Geo),
            DeconvolutionLayer d => new DeconvolutionLayer(d.LayerName, newWeight, newBias, d.Geo, d.OutputPadding),
            _ => new InnerProductLayer(layer.LayerName, newWeight, newBias),
        };
        merged.train(layer.training);
        return merged;
    }

    /// <summary>Deconvolution weights are [in, out/groups, kh, kw]: output channel g·(out/groups) + j is column j of group g.</summary>
    private static Tensor ScaleDeconvolution(Tensor w, Tensor a, long groups)
    {
        long inputs = w.shape[0], perGroup = w.shape[1];
        var grouped = w.reshape(groups, inputs / groups, perGroup, w.shape[2], w.shape[3]);
        return grouped.mul(a.reshape(groups, 1, perGroup, 1, 1)).reshape(w.shape);
    }
}
