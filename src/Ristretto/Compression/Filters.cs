using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Compression;

/// <summary>Ranks a layer's filters (output channels) by the L1 or L2 norm of their weights.</summary>
public static class Filters
{
    /// <summary>
    /// The output channels of <paramref name="layer"/> kept when <paramref name="fraction"/> of them (rounded, at least
    /// one kept) with the smallest norms are removed, ascending.
    /// </summary>
    public static int[] Keep(Network network, string layer, double fraction, string norm)
    {
        ArgumentNullException.ThrowIfNull(network);
        var w = ((IWeightedLayer)network[layer]).Weight;
        long channels = w.shape[0];
        int removed = (int)Math.Round(channels * fraction);
        if (removed < 1 || removed >= channels)
            throw new RistrettoException($"--prune-filters: removing {fraction:G} of the {channels} filters of '{layer}' removes {removed}; it must remove 1 to {channels - 1}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = w.detach().reshape(channels, -1).to(ScalarType.Float64).cpu();
        var norms = (norm == "l2" ? flat.mul(flat).sum(1).sqrt() : flat.abs().sum(1)).data<double>().ToArray();
        // Stable: equal norms keep the lower channel.
        return Enumerable.Range(0, (int)channels).OrderByDescending(c => norms[c]).ThenBy(c => c)
            .Take((int)channels - removed).Order().ToArray();
    }
}
