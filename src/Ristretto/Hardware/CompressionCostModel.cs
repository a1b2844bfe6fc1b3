using Ristretto.Graph;
using Ristretto.Models;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Hardware;

/// <summary>One technique's step in a compression report: its stored size and energy per inference.</summary>
/// <param name="Technique">What the row adds.</param>
/// <param name="StorageBits">Parameters as stored.</param>
/// <param name="Ratio">Float32 bits of the original network over <paramref name="StorageBits"/>.</param>
/// <param name="Macs">MACs performed (zero skipping counts kept weights only).</param>
/// <param name="EnergyPj">Energy per inference.</param>
public sealed record TechniqueCost(string Technique, long StorageBits, double Ratio, double Macs, double EnergyPj);

/// <summary>The storage of each layer by <see cref="WeightStorage"/>'s formula and the energy technique by technique.</summary>
/// <param name="Layers">Each weighted layer of the compressed network.</param>
/// <param name="Techniques">The original network, then each technique added in turn.</param>
/// <param name="OriginalFloat32Bits">The original network's parameters as float32.</param>
public sealed record CompressionCost(IReadOnlyList<WeightStorage> Layers, IReadOnlyList<TechniqueCost> Techniques, long OriginalFloat32Bits)
{
    /// <summary>Stored bits of the compressed network.</summary>
    public long TotalBits => Layers.Sum(l => l.TotalBits);

    /// <summary>Original float32 bits over stored bits.</summary>
    public double Ratio => OriginalFloat32Bits / (double)Math.Max(1, TotalBits);

    /// <summary>Kept weights over all weights of the compressed network.</summary>
    public double Density => Layers.Sum(l => l.NonZero) / (double)Math.Max(1, Layers.Sum(l => l.Weights));
}

/// <summary>
/// Costs a compressed network (<see cref="CompressionSection"/>): per layer, the stored bits by the one formula of
/// <see cref="WeightStorage"/> (weights at the plan's width, float32 when the plan leaves them), and the energy
/// of the original network, of the structure edits (filters removed, low rank: the factors' own MACs), of
/// pruning (zero-skipping MACs, sparse storage) and of sharing (b-bit codes), each over the plan's arithmetic.
/// </summary>
public static class CompressionCostModel
{
    /// <summary>The cost of <paramref name="network"/> (compressed as <paramref name="section"/> says) against <paramref name="original"/>.</summary>
    public static CompressionCost Compute(Network network, CompressionSection section, QuantizationPlan plan, Network original,
        AcceleratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(original);
        var model = new LayerCostModel(options);
        var dense = NetworkCostModel.Compute(network, plan, options);
        var pruned = new List<WeightStorage>();
        var shared = new List<WeightStorage>();
        foreach (var node in network.Nodes)
        {
            if (node.Layer is not IWeightedLayer weighted)
                continue;
            string name = node.Layer.LayerName;
            var spec = plan.Layers.GetValueOrDefault(name);
            int valueBits = spec?.Weights?.BitWidth ?? 32, biasBits = spec?.Bias?.BitWidth ?? 32;
            section.Layers.TryGetValue(name, out var stored);
            float[] values;
            using (var scope = NewDisposeScope())
                values = weighted.Weight.detach().flatten().cpu().data<float>().ToArray();
            List<long>? positions = null;
            if (stored?.Mask is not null)
            {
                var kept = stored.MaskBits();
                if (kept.Length != values.Length)
                    throw new RistrettoException($"the mask of layer '{name}' has {kept.Length} bits for {values.Length} weights");
                positions = [];
                for (int i = 0; i < kept.Length; i++)
                    if (kept[i])
                        positions.Add(i);
            }
            long biases = weighted.Bias?.numel() ?? 0;
            pruned.Add(WeightStorage.Compute(name, values.Length, positions, null, 0, valueBits, biases, biasBits));
            if (stored?.Codebook is { } book)
            {
                var sorted = book.Select(v => (double)v).Order().ToArray();
                var codes = (positions ?? Enumerable.Range(0, values.Length).Select(i => (long)i).ToList())
                    .Select(p => Nearest(sorted, values[p])).ToList();
                shared.Add(WeightStorage.Compute(name, values.Length, positions, codes, book.Length, valueBits, biases, biasBits));
            }
            else
                shared.Add(pruned[^1]);
        }
        var originalCost = NetworkCostModel.Compute(original, QuantizationPlan.Float, options);
        long originalBits = originalCost.Layers.Sum(l => l.Parameters) * 32;
        var rows = new List<TechniqueCost>
        {
            Row("original, float32", originalCost.Layers.Sum(l => l.Parameters * 32L), originalBits, originalCost.Macs, originalCost.Energy.Total),
        };
        if (section.Structure.Count > 0)
        {
            var structure = NetworkCostModel.Compute(network, QuantizationPlan.Float, options);
            rows.Add(Row("structure (" + string.Join(", ", section.Structure.Select(e => $"{e.Op} {e.Layer}")) + ")",
                structure.Layers.Sum(l => l.Parameters * 32L), originalBits, structure.Macs, structure.Energy.Total));
        }
        if (plan.Layers.Count > 0)
            rows.Add(Row("plan formats (" + plan.Description + ")", dense.WeightBits, originalBits, dense.Macs, dense.Energy.Total));
        if (section.Layers.Values.Any(l => l.Mask is not null))
            rows.Add(Compressed("pruning (zero-skipping MACs, sparse positions)", dense, pruned, model, originalBits));
        if (section.Layers.Values.Any(l => l.Codebook is not null))
            rows.Add(Compressed("weight sharing (codes, codebooks, Huffman)", dense, shared, model, originalBits));
        return new CompressionCost(shared, rows, originalBits);
    }

    /// <summary>The index of the entry of sorted <paramref name="book"/> nearest <paramref name="v"/> (the weight's code).</summary>
    private static int Nearest(double[] book, double v)
    {
        int i = Array.BinarySearch(book, v);
        if (i >= 0)
            return i;
        i = ~i;
        return i == 0 ? 0 : i == book.Length || v - book[i - 1] <= book[i] - v ? i - 1 : i;
    }

    private static TechniqueCost Row(string name, long bits, long originalBits, double macs, double energy) =>
        new(name, bits, originalBits / (double)Math.Max(1, bits), macs, energy);

    private static TechniqueCost Compressed(string name, NetworkCost dense, List<WeightStorage> storage, LayerCostModel model, long originalBits)
    {
        double energy = 0, macs = 0;
        for (int i = 0; i < dense.Layers.Count; i++)
        {
            var layer = dense.Layers[i];
            var s = storage[i];
            energy += CompressedCost.Energy(layer, s.Density, s.TotalBits, model).Total;
            macs += layer.Shape.Macs * s.Density;
        }
        return Row(name, storage.Sum(s => s.TotalBits), originalBits, macs, energy);
    }
}
