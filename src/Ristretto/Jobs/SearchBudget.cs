using System.Globalization;

namespace Ristretto.Jobs;

/// <summary>
/// The cost budget of <c>--search hessian</c> (<c>--budget</c>): <c>bops=N</c> (bit operations per image, the cost model's
/// BOPs), <c>energy-uj=X</c> (energy per inference) or <c>memory-kib=Y</c> (parameter memory), both from the cost model as
/// <c>report</c> prints them.
/// </summary>
public sealed record SearchBudget
{
    private SearchBudget(string kind, double value) => (Kind, Value) = (kind, value);

    /// <summary>bops, energy-uj or memory-kib.</summary>
    public string Kind { get; }

    /// <summary>The limit.</summary>
    public double Value { get; }

    /// <summary>Parses KIND=VALUE; one error line otherwise.</summary>
    public static SearchBudget Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        string kind = eq > 0 ? text[..eq] : "";
        if (eq < 0 || kind is not ("bops" or "energy-uj" or "memory-kib")
            || !double.TryParse(text[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0) || double.IsInfinity(value))
            throw new RistrettoException($"--budget {text}: expected bops=N, energy-uj=X or memory-kib=Y with a positive number, e.g. bops=43.2e6");
        return new SearchBudget(kind, value);
    }

    /// <summary>The budget the allocation works with.</summary>
    public Search.AllocationBudget Allocation => new(Kind switch
    {
        "energy-uj" => Search.BudgetKind.EnergyMicrojoules,
        "memory-kib" => Search.BudgetKind.MemoryKib,
        _ => Search.BudgetKind.Bops,
    }, Value);

    /// <inheritdoc/>
    public override string ToString() => $"{Kind}={Value.ToString("G6", CultureInfo.InvariantCulture)}";
}
