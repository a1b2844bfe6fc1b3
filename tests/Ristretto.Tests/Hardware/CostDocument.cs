using System.Globalization;

namespace Ristretto.Tests.Hardware;

/// <summary>
/// Reads the cited per-operation table from the project's shared/docs/hardware-cost.md (the facts the cost model
/// starts from), so that the embedded CSV is checked against the document, not against itself.
/// </summary>
internal static class CostDocument
{
    /// <summary>The path of hardware-cost.md above the test binaries, or null when shared/ is not there.</summary>
    public static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "docs", "hardware-cost.md");
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>The table rows: operation text, energy low and high (pJ), area (µm²) or null.</summary>
    public static List<(string Operation, double Low, double High, double? Area)> Rows(string path)
    {
        var rows = new List<(string, double, double, double?)>();
        foreach (var line in File.ReadLines(path))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length < 5 || !line.TrimStart().StartsWith('|'))
                continue;
            string energy = cells[2].Replace(",", "", StringComparison.Ordinal);
            if (energy.Length == 0 || !char.IsDigit(energy[0]))
                continue;
            var range = energy.Split('–', '-');
            double low = double.Parse(range[0], CultureInfo.InvariantCulture);
            double high = range.Length > 1 ? double.Parse(range[1], CultureInfo.InvariantCulture) : low;
            string area = cells[3].Replace(",", "", StringComparison.Ordinal);
            rows.Add((cells[1], low, high, area.Length > 0 ? double.Parse(area, CultureInfo.InvariantCulture) : null));
        }
        return rows;
    }
}
