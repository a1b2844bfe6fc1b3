namespace Ristretto.Hardware;

/// <summary>Datapath area in µm², by component (memory macros excluded: the source lists no SRAM area).</summary>
/// <param name="Array">The MAC array: rows × columns processing elements.</param>
/// <param name="Requant">Re-quantization units (one per tensor; per-channel: one per output channel in flight).</param>
/// <param name="Offsets">Zero-point units.</param>
public sealed record AreaBreakdown(double Array, double Requant, double Offsets)
{
    /// <summary>Everything.</summary>
    public double Total => Array + Requant + Offsets;

    /// <summary>The componentwise maximum: a datapath that runs both layers.</summary>
    public static AreaBreakdown Max(AreaBreakdown a, AreaBreakdown b) =>
        new(Math.Max(a.Array, b.Array), Math.Max(a.Requant, b.Requant), Math.Max(a.Offsets, b.Offsets));
}
