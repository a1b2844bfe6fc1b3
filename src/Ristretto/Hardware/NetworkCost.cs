namespace Ristretto.Hardware;

/// <summary>The cost of a network under one plan: a <see cref="LayerCost"/> per weighted layer and the totals.</summary>
/// <param name="Network">Network name.</param>
/// <param name="Plan">Plan name.</param>
/// <param name="Layers">Weighted layers in execution order.</param>
/// <param name="WeightsResident">Whether every parameter fits in the buffer (no DRAM weight traffic).</param>
public sealed record NetworkCost(string Network, string Plan, IReadOnlyList<LayerCost> Layers, bool WeightsResident)
{
    /// <summary>Total MACs per image.</summary>
    public long Macs => Layers.Sum(l => l.Shape.Macs);

    /// <summary>Total parameters (weights and biases).</summary>
    public long Parameters => Layers.Sum(l => l.Parameters);

    /// <summary>Total weight and bias bits.</summary>
    public long WeightBits => Layers.Sum(l => l.WeightBits);

    /// <summary>Total scale, zero-point and offset-constant bits.</summary>
    public long ExtraParameterBits => Layers.Sum(l => l.ExtraParameterBits);

    /// <summary>Total activation bits moved.</summary>
    public long ActivationBits => Layers.Sum(l => l.ActivationBits);

    /// <summary>Total bit operations.</summary>
    public double Bops => Layers.Sum(l => l.Bops);

    /// <summary>Energy per inference, summed over layers.</summary>
    public EnergyBreakdown Energy => Layers.Aggregate(EnergyBreakdown.Zero, (e, l) => e + l.Energy);

    /// <summary>The datapath that runs every layer: the componentwise maximum of the layers' areas.</summary>
    public AreaBreakdown Area => Layers.Aggregate(new AreaBreakdown(0, 0, 0), (a, l) => AreaBreakdown.Max(a, l.Area));

    /// <summary>Total roofline operations.</summary>
    public double Ops => Layers.Sum(l => l.Ops);

    /// <summary>Total bytes moved.</summary>
    public double Bytes => Layers.Sum(l => l.Bytes);

    /// <summary>Activation layers the plan approximates (piecewise linear, lookup table), with their units' cost; not in <see cref="Energy"/>.</summary>
    public IReadOnlyList<ActivationUnitRow> ActivationUnits { get; init; } = [];

    /// <summary>Energy of the approximate activation units per image.</summary>
    public double ActivationUnitEnergyPj => ActivationUnits.Sum(a => a.EnergyPj);
}
