namespace Ristretto.Formats;

/// <summary>
/// A lookup-table activation unit: <see cref="ActivationApproximation.Count"/> entries, the function's values at equally
/// spaced points from lo to hi (rounded to the entry format); the input picks the nearest:
/// <c>t = fl32(fl32(x − lo) / step)</c>, <c>y = table[round_half_even(t)]</c>. In hardware: an index and one read per element.
/// </summary>
public sealed record LookupTableActivation : ActivationApproximation
{
    /// <summary>Creates the table; 2–65,536 entries, <c>lo &lt; hi</c>.</summary>
    public LookupTableActivation(int entries, float lo, float hi, NumberFormat? entryFormat = null) : base(entries, lo, hi, entryFormat, 2)
    {
    }

    /// <inheritdoc />
    public override string Kind => "lut";

    /// <inheritdoc />
    protected override string CountName => "size";

    /// <inheritdoc />
    protected override string CountLabel => "entries";

    /// <inheritdoc />
    public override int TableSize => Count;

    /// <inheritdoc />
    public override int ReadsPerElement => 1;

    /// <inheritdoc />
    public override int MultiplyAddsPerElement => 0;

    /// <inheritdoc />
    public override double Evaluate(double clamped, IReadOnlyList<float> table)
    {
        ArgumentNullException.ThrowIfNull(table);
        double t = ScalarMath.F32(ScalarMath.F32(clamped - Lo) / Step);
        int j = (int)Math.Clamp(Math.Round(t, MidpointRounding.ToEven), 0, Count - 1);
        return table[j];
    }
}
