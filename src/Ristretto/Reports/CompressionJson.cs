using Ristretto.Hardware;

namespace Ristretto.Reports;

/// <summary>The JSON form of a <see cref="CompressionCost"/> (compress and report share it).</summary>
public static class CompressionJson
{
    /// <summary>Layers with the storage formula's terms, techniques with ratio and energy, and the totals.</summary>
    public static Dictionary<string, object> Of(CompressionCost cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        return new Dictionary<string, object>
        {
            ["density"] = cost.Density,
            ["stored_bits"] = cost.TotalBits,
            ["float32_bits"] = cost.OriginalFloat32Bits,
            ["ratio"] = cost.Ratio,
            ["layers"] = cost.Layers.Select(l => new Dictionary<string, object>
            {
                ["name"] = l.Name, ["weights"] = l.Weights, ["non_zero"] = l.NonZero, ["index_bits"] = l.IndexBits,
                ["codebook_entries"] = l.CodebookEntries, ["entry_bits"] = l.EntryBits, ["code_bits"] = l.CodeBits, ["codes_huffman"] = l.CodesHuffman,
                ["codebook_bits"] = l.CodebookBits, ["position_bits"] = l.PositionBits, ["positions"] = l.PositionScheme, ["bias_bits"] = l.BiasBits,
                ["total_bits"] = l.TotalBits, ["float32_bits"] = l.Float32Bits,
            }).ToList(),
            ["techniques"] = cost.Techniques.Select(t => new Dictionary<string, object>
            {
                ["technique"] = t.Technique, ["stored_bits"] = t.StorageBits, ["ratio"] = t.Ratio, ["macs"] = t.Macs, ["energy_pj"] = t.EnergyPj,
            }).ToList(),
        };
    }
}
