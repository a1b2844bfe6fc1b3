namespace Ristretto.Formats;

/// <summary>
/// A format seen as integers: <c>value = Scales[c]·(q − ZeroPoints[c])</c>, <c>QMin ≤ q ≤ QMax</c>, channel c along
/// <see cref="Axis"/> (null: one scale). Dynamic fixed point is the case scale 2^−fl, zero point 0.
/// </summary>
public sealed record AffineGrid(IReadOnlyList<double> Scales, IReadOnlyList<int> ZeroPoints, long QMin, long QMax, int? Axis);
