namespace Ristretto.Hardware;

/// <summary>Energy of one layer (or a network) per inference, in picojoules, by component.</summary>
/// <param name="Mac">The MAC array: multipliers (or shifters, XNOR) and accumulators.</param>
/// <param name="Bias">Bias additions.</param>
/// <param name="Requant">Re-quantization of each output to the output format.</param>
/// <param name="Offsets">Zero-point cross terms (or per-MAC offset subtraction).</param>
/// <param name="Sram">On-chip buffer traffic.</param>
/// <param name="Dram">Off-chip traffic.</param>
public sealed record EnergyBreakdown(double Mac, double Bias, double Requant, double Offsets, double Sram, double Dram)
{
    /// <summary>Nothing.</summary>
    public static EnergyBreakdown Zero { get; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>Arithmetic energy: MAC array, bias, re-quantization and offsets.</summary>
    public double Compute => Mac + Bias + Requant + Offsets;

    /// <summary>Memory energy: SRAM and DRAM.</summary>
    public double Memory => Sram + Dram;

    /// <summary>Everything.</summary>
    public double Total => Compute + Memory;

    /// <summary>Componentwise sum.</summary>
    public static EnergyBreakdown operator +(EnergyBreakdown a, EnergyBreakdown b) =>
        new(a.Mac + b.Mac, a.Bias + b.Bias, a.Requant + b.Requant, a.Offsets + b.Offsets, a.Sram + b.Sram, a.Dram + b.Dram);

    /// <summary>Componentwise sum (for languages without operators).</summary>
    public static EnergyBreakdown Add(EnergyBreakdown a, EnergyBreakdown b) => a + b;
}
