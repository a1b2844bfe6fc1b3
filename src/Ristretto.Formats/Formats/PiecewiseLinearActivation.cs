namespace Ristretto.Formats;

/// <summary>
/// A piecewise-linear activation unit: <see cref="ActivationApproximation.Count"/> equal segments over [lo, hi], the
/// function's values at the <c>segments + 1</c> knots stored (rounded to the entry format), linear in between:
/// <c>t = fl32(fl32(x − lo) / step)</c>, <c>i = min(⌊t⌋, segments − 1)</c>, <c>f = fl32(t − i)</c>,
/// <c>y = fl32(k[i] + fl32(f · fl32(k[i+1] − k[i])))</c>. In hardware: an index, two reads, one multiply-add per element.
/// </summary>
public sealed record PiecewiseLinearActivation : ActivationApproximation
{
    /// <summary>Creates the unit; 1–65,536 segments, <c>lo &lt; hi</c>.</summary>
    public PiecewiseLinearActivation(int segments, float lo, float hi, NumberFormat? entries = null) : base(segments, lo, hi, entries, 1)
    {
    }

    /// <inheritdoc />
    public override string Kind => "pwl";

    /// <inheritdoc />
    protected override string CountName => "segments";

    /// <inheritdoc />
    public override int TableSize => Count + 1;

    /// <inheritdoc />
    public override int ReadsPerElement => 2;

    /// <inheritdoc />
    public override int MultiplyAddsPerElement => 1;

    /// <inheritdoc />
    public override double Evaluate(double clamped, IReadOnlyList<float> table)
    {
        ArgumentNullException.ThrowIfNull(table);
        double t = ScalarMath.F32(ScalarMath.F32(clamped - Lo) / Step);
        int i = (int)Math.Min(Math.Floor(t), Count - 1);
        double f = ScalarMath.F32(t - i);
        return ScalarMath.F32(table[i] + ScalarMath.F32(f * ScalarMath.F32(table[i + 1] - (double)table[i])));
    }
}
