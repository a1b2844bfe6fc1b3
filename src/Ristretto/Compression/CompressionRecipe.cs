using System.Globalization;
using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Transforms;

namespace Ristretto.Compression;

/// <summary>
/// What to compress, named after the <c>compress</c> verb's options. Per-layer maps take the key
/// <see cref="Every"/> for every weighted layer (a layer named explicitly overrides it). Stored in the compressed
/// model (as JSON) so a run can resume.
/// </summary>
public sealed record CompressionRecipe
{
    /// <summary>The key that stands for every weighted layer.</summary>
    public const string Every = "*";

    /// <summary>Magnitude pruning: the fraction of each layer's weights set to zero, in [0, 1).</summary>
    public Dictionary<string, double> Prune { get; init; } = new(StringComparer.Ordinal);

    /// <summary>With <see cref="Every"/>: one magnitude threshold over all layers (the layers' sparsities then differ).</summary>
    public bool GlobalPrune { get; init; }

    /// <summary>Pruning steps of the iterative schedule (step k of S keeps (1 − s)^(k/S) of the weights), fine-tuning after each.</summary>
    public int PruneSteps { get; init; } = 3;

    /// <summary>Weight sharing: index bits per layer (2^bits k-means centroids).</summary>
    public Dictionary<string, int> Share { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Structured pruning: the fraction of each layer's filters (output channels) removed, in (0, 1).</summary>
    public Dictionary<string, double> PruneFilters { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The filter norm that ranks filters: l1 or l2.</summary>
    public string FilterNorm { get; init; } = "l1";

    /// <summary>Low rank per layer: <c>rank:R</c>, <c>energy:E</c> (the smallest rank keeping E of Σσ²), or <c>params:F</c> (the largest rank keeping at most F of the weights).</summary>
    public Dictionary<string, string> LowRank { get; init; } = new(StringComparer.Ordinal);

    /// <summary>True when the recipe asks for nothing.</summary>
    public bool IsEmpty => Prune.Count == 0 && Share.Count == 0 && PruneFilters.Count == 0 && LowRank.Count == 0;

    /// <summary>Fine-tuning phases: each pruning step, then sharing; one when only the structure changes.</summary>
    public int Phases => Math.Max(1, (Prune.Count > 0 ? PruneSteps : 0) + (Share.Count > 0 ? 1 : 0));

    /// <summary>The phase that shares weights, or -1.</summary>
    public int SharePhase => Share.Count > 0 ? Phases - 1 : -1;

    /// <summary>Checks the values that need no network; returns the recipe.</summary>
    public CompressionRecipe Validate()
    {
        if (IsEmpty)
            throw new RistrettoException("nothing to compress: give --prune, --share, --prune-filters or --low-rank");
        foreach (var (layer, s) in Prune)
            if (!(s >= 0 && s < 1))
                throw new RistrettoException($"--prune: sparsity {Format(s)} of {Name(layer)} is outside [0, 1)");
        if (PruneSteps < 1)
            throw new RistrettoException($"--prune-steps must be ≥ 1, got {PruneSteps}");
        if (GlobalPrune && (Prune.Count != 1 || !Prune.ContainsKey(Every)))
            throw new RistrettoException("--prune-scope global takes one sparsity for every layer (--prune S), not per-layer values");
        foreach (var (layer, b) in Share)
            if (b is < 1 or > 16)
                throw new RistrettoException($"--share: {b} index bits for {Name(layer)} is outside 1 to 16");
        foreach (var (layer, f) in PruneFilters)
            if (layer == Every || !(f > 0 && f < 1))
                throw new RistrettoException(layer == Every ? "--prune-filters names its layers (LAYER=FRACTION)"
                    : $"--prune-filters: fraction {Format(f)} of '{layer}' is outside (0, 1)");
        if (FilterNorm is not ("l1" or "l2"))
            throw new RistrettoException($"--filter-norm must be l1 or l2, got {FilterNorm}");
        foreach (var (layer, spec) in LowRank)
        {
            if (layer == Every)
                throw new RistrettoException("--low-rank names its layers (LAYER=rank:R, energy:E or params:F)");
            ParseRank(layer, spec);
        }
        return this;
    }

    /// <summary>The structure edits for <paramref name="network"/>: filters ranked by norm, ranks chosen; every problem one error line.</summary>
    public List<StructureEdit> StructureEdits(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var edits = new List<StructureEdit>();
        foreach (var (layer, fraction) in PruneFilters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            FilterPruning.Check(network, layer);
            if (LowRank.ContainsKey(layer))
                throw new RistrettoException($"'{layer}' is both filter-pruned and factorised; choose one");
            edits.Add(new StructureEdit(StructureEdit.PruneFilters, layer, Filters.Keep(network, layer, fraction, FilterNorm)));
        }
        foreach (var (layer, spec) in LowRank.OrderBy(p => p.Key, StringComparer.Ordinal))
            edits.Add(new StructureEdit(StructureEdit.LowRank, layer, Rank: ChooseRank(network, layer, spec)));
        return edits;
    }

    /// <summary>The sparsity target and shared bits of each weighted layer of <paramref name="network"/> (after the structure edits); checks names and sizes.</summary>
    public Dictionary<string, (double? Sparsity, int? Bits)> Targets(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var weighted = network.Nodes.Where(n => n.Layer is IWeightedLayer).Select(n => n.Layer.LayerName).ToList();
        foreach (var name in Prune.Keys.Concat(Share.Keys).Where(k => k != Every))
            if (!weighted.Contains(name))
                throw new RistrettoException($"layer '{name}' is not a weighted layer of {network.Name} (it has {string.Join(", ", weighted)})");
        var result = new Dictionary<string, (double?, int?)>(StringComparer.Ordinal);
        foreach (var name in weighted)
        {
            double? s = Prune.TryGetValue(name, out var v) ? v : Prune.TryGetValue(Every, out var all) ? all : null;
            int? b = Share.TryGetValue(name, out var bb) ? bb : Share.TryGetValue(Every, out var ball) ? ball : null;
            if (s is null && b is null)
                continue;
            long n = ((IWeightedLayer)network[name]).Weight.numel();
            long kept = s is { } sp && !GlobalPrune ? n - (long)Math.Round(n * sp) : n;
            if (b is { } bits && (1L << bits) > kept)
                throw new RistrettoException($"--share: a codebook of 2^{bits} = {1L << bits} entries is larger than the {kept:N0} weights layer '{name}' keeps");
            result[name] = (s, b);
        }
        return result;
    }

    /// <summary>Parses <c>V</c> (every layer) or <c>LAYER=V,LAYER=V</c>.</summary>
    public static Dictionary<string, T> ParseMap<T>(string? text, string option, Func<string, T> parse)
    {
        var map = new Dictionary<string, T>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
            return map;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? Every : part[..eq].Trim();
            string value = eq < 0 ? part : part[(eq + 1)..].Trim();
            if (key.Length == 0 || !map.TryAdd(key, ParseValue(value, option, parse)))
                throw new RistrettoException($"{option}: '{part}' names no layer, or a layer twice");
        }
        return map;
    }

    /// <summary>A number in invariant culture, or one error line naming <paramref name="option"/>.</summary>
    public static double ParseNumber(string text, string option) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v
            : throw new RistrettoException($"{option}: '{text}' is not a number");

    private static T ParseValue<T>(string value, string option, Func<string, T> parse)
    {
        try
        {
            return parse(value);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new RistrettoException($"{option}: '{value}' is not a valid value", e);
        }
    }

    private static (string Kind, double Value) ParseRank(string layer, string spec)
    {
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? "rank" : spec[..colon];
        double value = ParseNumber(colon < 0 ? spec : spec[(colon + 1)..], "--low-rank");
        bool ok = kind switch
        {
            "rank" => value >= 1 && value == Math.Floor(value),
            "energy" or "params" => value > 0 && value <= 1,
            _ => false,
        };
        if (!ok)
            throw new RistrettoException($"--low-rank: '{spec}' for '{layer}' is not rank:R (R ≥ 1), energy:E or params:F (0 < E, F ≤ 1)");
        return (kind, value);
    }

    private static int ChooseRank(Network network, string layer, string spec)
    {
        var (kind, value) = ParseRank(layer, spec);
        int max = LowRankFactorization.MaxRank(network, layer);
        var w = ((IWeightedLayer)network[layer]).Weight.shape;
        long outputs = w[0], k = w.Skip(1).Aggregate(1L, (a, d) => a * d);
        switch (kind)
        {
            case "rank":
                if (value > max)
                    throw new RistrettoException($"--low-rank: rank {value} of '{layer}' is above the layer's rank {max}");
                return (int)value;
            case "params":
                long r = (long)Math.Floor(value * outputs * k / (outputs + k));
                if (r < 1)
                    throw new RistrettoException($"--low-rank: params:{Format(value)} of '{layer}' leaves no rank (one rank costs {outputs + k} weights of {outputs * k})");
                return (int)Math.Min(r, max);
            default:
                var s = LowRankFactorization.SingularValues(network, layer);
                double total = s.Sum(x => x * x), sum = 0;
                for (int i = 0; i < s.Length; i++)
                {
                    sum += s[i] * s[i];
                    if (sum >= value * total * (1 - 1e-12))
                        return i + 1;
                }
                return s.Length;
        }
    }

    private static string Name(string layer) => layer == Every ? "every layer" : $"'{layer}'";

    private static string Format(double v) => v.ToString("G", CultureInfo.InvariantCulture);
}
