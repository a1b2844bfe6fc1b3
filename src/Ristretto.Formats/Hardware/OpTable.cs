using System.Globalization;
using System.Reflection;

namespace Ristretto.Hardware;

/// <summary>
/// A table of energy and area per operation, read from CSV data (never hard-coded): columns
/// <c>operation,bits,energy_pj,energy_pj_max,area_um2,source</c>, lines starting with <c>#</c> are comments.
/// <see cref="Horowitz45nm"/> is the embedded table of M. Horowitz, "Computing's energy problem (and what we
/// can do about it)", ISSCC 2014 (45 nm, 0.9 V), as listed in the project's hardware-cost.md.
/// </summary>
public sealed class OpTable
{
    private const string ResourceName = "Ristretto.Hardware.horowitz-45nm.csv";
    private static readonly Lazy<OpTable> Embedded = new(LoadEmbedded);
    private readonly Dictionary<(string, int), OpEntry> _byKey;

    private OpTable(string name, IReadOnlyList<OpEntry> entries)
    {
        Name = name;
        Entries = entries;
        _byKey = entries.ToDictionary(e => (e.Operation, e.Bits));
    }

    /// <summary>Horowitz, ISSCC 2014, 45 nm 0.9 V (the embedded <c>horowitz-45nm.csv</c>).</summary>
    public static OpTable Horowitz45nm => Embedded.Value;

    /// <summary>Where the table came from (resource or file name).</summary>
    public string Name { get; }

    /// <summary>The rows, in file order.</summary>
    public IReadOnlyList<OpEntry> Entries { get; }

    /// <summary>The sources cited by the rows, each once.</summary>
    public IReadOnlyList<string> Sources => Entries.Select(e => e.Source).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The row for <paramref name="operation"/> at <paramref name="bits"/>; a missing row is a <see cref="RistrettoException"/>.</summary>
    public OpEntry Get(string operation, int bits) => _byKey.TryGetValue((operation, bits), out var e) ? e
        : throw new RistrettoException($"op table {Name} has no row '{operation}' at {bits} bits");

    /// <summary>The rows of one operation, by increasing width.</summary>
    public IReadOnlyList<OpEntry> Rows(string operation)
    {
        var rows = Entries.Where(e => e.Operation == operation).OrderBy(e => e.Bits).ToList();
        return rows.Count > 0 ? rows : throw new RistrettoException($"op table {Name} has no '{operation}' rows");
    }

    /// <summary>Parses CSV text; a malformed line is a <see cref="RistrettoException"/> naming it.</summary>
    public static OpTable Parse(string csv, string name)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var lines = csv.ReplaceLineEndings("\n").Split('\n');
        string[]? header = null;
        var entries = new List<OpEntry>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var cells = line.Split(',').Select(c => c.Trim()).ToArray();
            if (header is null)
            {
                header = cells;
                string[] expected = ["operation", "bits", "energy_pj", "energy_pj_max", "area_um2", "source"];
                if (!header.SequenceEqual(expected))
                    throw new RistrettoException($"{name}:{i + 1}: header must be {string.Join(",", expected)}");
                continue;
            }
            if (cells.Length != header.Length)
                throw new RistrettoException($"{name}:{i + 1}: expected {header.Length} cells, got {cells.Length}");
            var entry = new OpEntry(cells[0], (int)Number(cells[1], name, i)!, (double)Number(cells[2], name, i)!,
                Number(cells[3], name, i, optional: true), Number(cells[4], name, i, optional: true), cells[5]);
            if (entry.Bits < 1 || entry.EnergyPj <= 0 || entry.Source.Length == 0)
                throw new RistrettoException($"{name}:{i + 1}: needs bits ≥ 1, a positive energy and a source");
            if (entries.Any(e => e.Operation == entry.Operation && e.Bits == entry.Bits))
                throw new RistrettoException($"{name}:{i + 1}: '{entry.Operation}' at {entry.Bits} bits is listed twice");
            entries.Add(entry);
        }
        if (header is null)
            throw new RistrettoException($"{name}: no header line");
        return new OpTable(name, entries);
    }

    private static double? Number(string cell, string name, int line, bool optional = false)
    {
        if (cell.Length == 0 && optional)
            return null;
        return double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v
            : throw new RistrettoException($"{name}:{line + 1}: '{cell}' is not a number");
    }

    private static OpTable LoadEmbedded()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "horowitz-45nm.csv");
    }
}
