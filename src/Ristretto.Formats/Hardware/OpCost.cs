namespace Ristretto.Hardware;

/// <summary>Energy (pJ) and area (µm²) of one hardware operation or unit; adds and scales componentwise.</summary>
/// <param name="EnergyPj">Energy per use in picojoules.</param>
/// <param name="AreaUm2">Silicon area in square micrometres.</param>
public readonly record struct OpCost(double EnergyPj, double AreaUm2)
{
    /// <summary>Nothing.</summary>
    public static OpCost Zero => default;

    /// <summary>Componentwise sum.</summary>
    public static OpCost operator +(OpCost a, OpCost b) => new(a.EnergyPj + b.EnergyPj, a.AreaUm2 + b.AreaUm2);

    /// <summary>Both components times <paramref name="k"/> (k units, or k uses).</summary>
    public static OpCost operator *(double k, OpCost a) => new(k * a.EnergyPj, k * a.AreaUm2);

    /// <summary>Componentwise sum (for languages without operators).</summary>
    public static OpCost Add(OpCost a, OpCost b) => a + b;

    /// <summary>Both components times <paramref name="k"/> (for languages without operators).</summary>
    public static OpCost Multiply(double k, OpCost a) => k * a;
}
