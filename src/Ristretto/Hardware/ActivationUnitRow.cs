namespace Ristretto.Hardware;

/// <summary>
/// One approximated activation layer as the cost model sees it (<see cref="ActivationUnitCost"/>): its elements per image
/// and what its piecewise-linear unit or lookup table spends on them.
/// </summary>
/// <param name="Name">Layer name.</param>
/// <param name="Approximation">What computes it, e.g. "pwl 16 segments on [-4, 4], 8-bit dfp entries".</param>
/// <param name="Elements">Elements per image.</param>
/// <param name="EnergyPj">Energy per image (elements × energy per element).</param>
/// <param name="AreaUm2">Area of one unit.</param>
public sealed record ActivationUnitRow(string Name, string Approximation, long Elements, double EnergyPj, double AreaUm2);
