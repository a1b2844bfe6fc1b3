using System.Globalization;
using System.Text;
using Ristretto.Hardware;

namespace Ristretto.Reports;

/// <summary>The compression page of a report (<c>compression.md</c>): the storage formula per layer and each technique's ratio and energy.</summary>
public static class CompressionReport
{
    /// <summary>The file name in the report folder.</summary>
    public const string MarkdownFile = "compression.md";

    /// <summary>The Markdown page.</summary>
    public static string Render(CompressionCost cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine("# Compression").AppendLine();
        s.AppendLine("Stored bits per layer = codes (non-zero weights × index bits, or Huffman-coded with a table of 5 bits per symbol when smaller)")
            .AppendLine("+ codebook (entries × entry bits) + sparse positions (relative-index CSR as Deep Compression, Huffman-coded or not, or a bitmap: the smallest)")
            .AppendLine("+ biases (dense). See docs/compression.md.").AppendLine();
        s.AppendLine("| layer | kept / weights | density | index bits | codes | codebook | positions | biases | total bits | vs float32 |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var l in cost.Layers)
            s.AppendLine(string.Create(c, $"| {l.Name} | {l.NonZero:N0} / {l.Weights:N0} | {100 * l.Density:F2} % | {l.IndexBits} | {l.CodeBits:N0}{(l.CodesHuffman ? " (Huffman)" : "")} | {l.CodebookBits:N0} ({l.CodebookEntries}×{l.EntryBits}) | {l.PositionBits:N0} ({l.PositionScheme}) | {l.BiasBits:N0} | {l.TotalBits:N0} | {(double)l.Float32Bits / Math.Max(1, l.TotalBits):F1}× |"));
        s.AppendLine(string.Create(c, $"| **total** | | {100 * cost.Density:F2} % | | | | | | {cost.TotalBits:N0} | {cost.Ratio:F1}× |")).AppendLine();
        s.AppendLine("## Per technique (each row adds to the one above)").AppendLine();
        s.AppendLine("| technique | stored bits | compression | MACs | energy (µJ) |");
        s.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var t in cost.Techniques)
            s.AppendLine(string.Create(c, $"| {t.Technique} | {t.StorageBits:N0} | {t.Ratio:F1}× | {t.Macs:N0} | {t.EnergyPj / 1e6:F3} |"));
        s.AppendLine().AppendLine("Zero skipping performs only the MACs of kept weights; weights are read at their stored size; the decoding (codebook lookup, position counter) is not costed.");
        return s.ToString();
    }
}
