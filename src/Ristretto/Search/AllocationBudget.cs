using System.Globalization;

namespace Ristretto.Search;

/// <summary>What a <see cref="AllocationBudget"/> limits.</summary>
public enum BudgetKind
{
    /// <summary>Bit operations per image (MACs × weight bits × activation bits, summed over layers).</summary>
    Bops,

    /// <summary>Energy per inference in µJ, the cost model's figure that <c>report</c> prints as "energy (µJ)".</summary>
    EnergyMicrojoules,

    /// <summary>Parameter memory in KiB (weights, biases, scales and offset constants), <c>report</c>'s "weights (KiB)".</summary>
    MemoryKib,
}

/// <summary>The cost limit of the Hessian-guided allocation.</summary>
/// <param name="Kind">What is limited.</param>
/// <param name="Value">The limit, in the kind's unit.</param>
public sealed record AllocationBudget(BudgetKind Kind, double Value)
{
    /// <summary>The unit as printed: BOPs, µJ or KiB.</summary>
    public string Unit => Kind switch { BudgetKind.EnergyMicrojoules => "µJ", BudgetKind.MemoryKib => "KiB", _ => "BOPs" };

    /// <summary>The option's spelling: bops, energy-uj or memory-kib.</summary>
    public string Name => Kind switch { BudgetKind.EnergyMicrojoules => "energy-uj", BudgetKind.MemoryKib => "memory-kib", _ => "bops" };

    /// <summary>A cost in this budget's unit, readable: BOPs in millions, the others with four significant digits.</summary>
    public string Format(double cost) => Kind == BudgetKind.Bops
        ? string.Create(CultureInfo.InvariantCulture, $"{cost / 1e6:F2} M BOPs")
        : string.Create(CultureInfo.InvariantCulture, $"{cost:G4} {Unit}");

    /// <inheritdoc/>
    public override string ToString() => $"{Name}={Value.ToString("G6", CultureInfo.InvariantCulture)}";
}
