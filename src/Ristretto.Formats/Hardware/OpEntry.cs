namespace Ristretto.Hardware;

/// <summary>
/// One row of an <see cref="OpTable"/>: the energy (and, where given, area) of one operation at one width,
/// with its source.
/// </summary>
/// <param name="Operation">Operation name (<c>int_add</c>, <c>int_mult</c>, <c>float_add</c>, <c>float_mult</c>,
/// <c>sram_read_8kb</c>, <c>sram_read_32kb</c>, <c>sram_read_1mb</c>, <c>dram_read</c>).</param>
/// <param name="Bits">Operand (or access) width in bits.</param>
/// <param name="EnergyPj">Energy per operation in picojoules (the lower end where the source gives a range).</param>
/// <param name="EnergyPjMax">The upper end of a range, or null.</param>
/// <param name="AreaUm2">Area in µm², or null where the source gives none.</param>
/// <param name="Source">Where the numbers come from.</param>
public sealed record OpEntry(string Operation, int Bits, double EnergyPj, double? EnergyPjMax, double? AreaUm2, string Source);
