using Ristretto.Graph;
using Ristretto.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Transforms;

/// <summary>
/// Truncated SVD of one weighted layer. With <c>W = U·S·Vᵀ</c> (a convolution's weights read as
/// [outputs, inputs·kh·kw]) and rank <c>r</c>, layer <c>L</c> becomes <c>L_lowrank</c> (weights √S_r·V_rᵀ, no
/// bias; for a convolution the same window with r filters) followed by <c>L</c> (weights U_r·√S_r and the original
/// bias; for a convolution 1×1), which writes the original output blob, so every reader stays as it was. A
/// convolution is factorised in its channels (the kh×kw window stays in the first factor).
/// </summary>
public static class LowRankFactorization
{
    /// <summary>The suffix of the first factor's name.</summary>
    public const string FirstSuffix = "_lowrank";

    /// <summary>The largest rank of <paramref name="layer"/> (min of its outputs and its dot-product length); one error line when it cannot be factorised.</summary>
    public static int MaxRank(Network network, string layer)
    {
        ArgumentNullException.ThrowIfNull(network);
        var l = network.Nodes.FirstOrDefault(n => n.Layer.LayerName == layer)?.Layer
            ?? throw new RistrettoException($"network {network.Name} has no layer '{layer}'");
        if (l is ConvolutionLayer { Geo.Groups: not 1 })
            throw new RistrettoException($"cannot factorise '{layer}': it is a grouped convolution");
        if (l is not (ConvolutionLayer or InnerProductLayer))
            throw new RistrettoException($"cannot factorise '{layer}' ({l.Type}): only convolutions and inner products have a weight matrix");
        var w = ((IWeightedLayer)l).Weight.shape;
        return (int)Math.Min(w[0], w.Skip(1).Aggregate(1L, (a, d) => a * d));
    }

    /// <summary>The singular values of <paramref name="layer"/>'s weight matrix, largest first.</summary>
    public static double[] SingularValues(Network network, string layer)
    {
        MaxRank(network, layer);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w = ((IWeightedLayer)network[layer]).Weight;
        var s = linalg.svdvals(w.detach().reshape(w.shape[0], -1).to(ScalarType.Float64).cpu());
        return s.data<double>().ToArray();
    }

    /// <summary>A new network with <paramref name="layer"/> replaced by its rank-<paramref name="rank"/> factors; every other layer is a copy.</summary>
    public static Network Apply(Network network, string layer, int rank)
    {
        int max = MaxRank(network, layer);
        if (rank < 1 || rank > max)
            throw new RistrettoException($"rank {rank} of '{layer}' is outside 1 to {max}, the layer's rank");
        var node = network.Nodes.First(n => n.Layer.LayerName == layer);
        var weighted = (IWeightedLayer)node.Layer;
        Layer first, second;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            var w = weighted.Weight.detach();
            var matrix = w.reshape(w.shape[0], -1).to(ScalarType.Float64);
            var (u, s, vh) = linalg.svd(matrix, fullMatrices: false);
            var root = s.narrow(0, 0, rank).sqrt();
            var a = vh.narrow(0, 0, rank).mul(root.unsqueeze(1)).to(w.dtype);         // [r, K]
            var b = u.narrow(1, 0, rank).mul(root.unsqueeze(0)).to(w.dtype);          // [out, r]
            var bias = weighted.Bias is { } bb ? Layer.CopyParameter(bb) : null;
            if (node.Layer is ConvolutionLayer conv)
            {
                first = new ConvolutionLayer(layer + FirstSuffix, Owned(a.reshape(rank, w.shape[1], w.shape[2], w.shape[3]), w.requires_grad), null, conv.Geo);
                second = new ConvolutionLayer(layer, Owned(b.reshape(w.shape[0], rank, 1, 1), w.requires_grad), bias, ConvolutionLayer.Geometry.Square(1));
            }
            else
            {
                first = new InnerProductLayer(layer + FirstSuffix, Owned(a, w.requires_grad), null);
                second = new InnerProductLayer(layer, Owned(b, w.requires_grad), bias);
            }
        }
        var nodes = new List<LayerNode>();
        try
        {
            foreach (var n in network.Nodes)
            {
                if (n.Layer.LayerName != layer)
                {
                    nodes.Add(n with { Layer = n.Layer.Copy() });
                    continue;
                }
                string middle = layer + FirstSuffix;
                nodes.Add(new LayerNode(first, n.Inputs, [middle]));
                nodes.Add(new LayerNode(second, [middle], n.Outputs));
            }
        }
        catch
        {
            foreach (var n in nodes)
                n.Layer.Dispose();
            if (!nodes.Any(n => ReferenceEquals(n.Layer, first)))
            {
                first.Dispose();
                second.Dispose();
            }
            throw;
        }
        return network.Rewritten(nodes);
    }

    private static Parameter Owned(Tensor t, bool requiresGrad)
    {
        var p = new Parameter(t.contiguous().clone(), requiresGrad);
        p.DetachFromDisposeScope();
        return p;
    }
}
