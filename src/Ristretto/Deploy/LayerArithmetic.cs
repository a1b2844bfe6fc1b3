using System.Globalization;

namespace Ristretto.Deploy;

/// <summary>
/// How the integer engine computes one quantized layer, decided before any image from the formats' widths and the
/// layer's fan-in: the accumulator's worst-case width (<c>fan-in · max|q_in − z_in| · max|q_w − z_w|</c> plus the bias on
/// the accumulator's grid), whether it needs int64 (more than 32 bits), and whether every requantization multiplier is a
/// power of two (a shift) and exact.
/// </summary>
/// <param name="Layer">The layer's name.</param>
/// <param name="FanIn">Products summed into one accumulator.</param>
/// <param name="AccumulatorBits">Bits of the widest accumulator value possible, sign included.</param>
/// <param name="ShiftOnly">Every channel's multiplier is a power of two (dynamic fixed point, power-of-two scales).</param>
/// <param name="ExactRequantization">Every multiplier and bias offset is held exactly.</param>
public sealed record LayerArithmetic(string Layer, long FanIn, int AccumulatorBits, bool ShiftOnly, bool ExactRequantization)
{
    /// <summary>Whether the accumulator can overflow int32 (and the engine accumulates it in int64).</summary>
    public bool NeedsInt64 => AccumulatorBits > 32;

    /// <summary>One line: "layer 'conv2': accumulator up to 35 bits (fan-in 4608), int64 …".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"layer '{Layer}': accumulator up to {AccumulatorBits} bits (fan-in {FanIn}), {(NeedsInt64 ? "can overflow int32: accumulated in int64" : "int32")}, requantized by {(ShiftOnly ? "shifts" : "fixed-point multipliers")}{(ExactRequantization ? "" : " (rounded to the multiplier's bits)")}");
}
