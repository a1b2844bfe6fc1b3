using Ristretto.Formats;

namespace Ristretto.Hardware;

/// <summary>
/// The cost of an approximate activation unit per element, read from the approximation's cost hooks
/// (<see cref="ActivationApproximation.IndexBits"/>, <see cref="ActivationApproximation.EntryBits"/>,
/// <see cref="ActivationApproximation.ReadsPerElement"/>, <see cref="ActivationApproximation.MultiplyAddsPerElement"/>):
/// the address (an adder of the index width; the segment width is taken as a power of two, so the division is wiring),
/// the table reads (entry bits × the 8 KB SRAM energy per bit: an upper bound for a table of at most a few kbit), and for
/// piecewise-linear units one multiply of the fraction by the segment's rise and one add, at the entry width. The area is
/// the adder, multiplier and adder of one unit (the table's storage is not included: the op table lists no SRAM area).
/// </summary>
public static class ActivationUnitCost
{
    /// <summary>Energy and area of one element through <paramref name="approximation"/>'s unit.</summary>
    public static OpCost PerElement(ActivationApproximation approximation, OpCostModel? ops = null)
    {
        ArgumentNullException.ThrowIfNull(approximation);
        ops ??= OpCostModel.Default;
        int b = approximation.EntryBits;
        var unit = ops.IntAdd(approximation.IndexBits)
                   + new OpCost(approximation.ReadsPerElement * b * ops.SramPerBitPj(SramSize.Kb8), 0);
        return approximation.MultiplyAddsPerElement == 0 ? unit
            : unit + approximation.MultiplyAddsPerElement * (ops.IntMultiply(b, b) + ops.IntAdd(b + b));
    }
}
