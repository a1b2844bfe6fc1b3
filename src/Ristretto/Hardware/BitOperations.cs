using Ristretto.Graph;
using Ristretto.Quantization;

namespace Ristretto.Hardware;

/// <summary>
/// Bit operations of a whole network under a plan: Σ over weighted layers of <see cref="LayerCost.BopsOf"/>
/// (32 bits for a part left in float32), the cost the per-layer search ranks plans by.
/// </summary>
public static class BitOperations
{
    /// <summary>MACs per image of every weighted layer, from the network's declared input shapes.</summary>
    public static IReadOnlyDictionary<string, long> Macs(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var shapes = network.Validate();
        return network.Nodes.Where(n => n.Layer is IWeightedLayer)
            .ToDictionary(n => n.Layer.LayerName, n => n.Layer.Macs(n.Inputs.Select(b => shapes[b]).ToArray()), StringComparer.Ordinal);
    }

    /// <summary>BOPs of <paramref name="plan"/> for layers with <paramref name="macs"/>.</summary>
    public static double Of(QuantizationPlan plan, IReadOnlyDictionary<string, long> macs)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(macs);
        double total = 0;
        foreach (var (layer, count) in macs)
        {
            var spec = plan.Layers.GetValueOrDefault(layer);
            total += LayerCost.BopsOf(count, spec?.Weights?.BitWidth ?? 32, spec?.Input?.BitWidth ?? 32);
        }
        return total;
    }
}
