namespace Ristretto.Hardware;

/// <summary>What one multiply-accumulate of a layer needs in hardware, read from its weight and input formats.</summary>
public enum MacKind
{
    /// <summary>A weight or input left in float32: float32 multiplier and float32 adder.</summary>
    Float32,

    /// <summary>Minifloat operands: a float multiplier at the operands' significand widths, accumulated in float32 (as Ristretto simulates it).</summary>
    MiniFloat,

    /// <summary>Integer codes (dynamic fixed point, integer formats): a <c>b_w × b_a</c> array multiplier and an integer accumulator.</summary>
    Integer,

    /// <summary>Power-of-two weights: a barrel shifter instead of the multiplier (Ristretto's multiplier-free arithmetic).</summary>
    Shift,

    /// <summary>Binary or ternary weights (or activations) against a multi-bit operand: the accumulator adds or subtracts (sign select, no multiplier).</summary>
    SignSelect,

    /// <summary>Binary or ternary weights and activations: XNOR gates and a popcount accumulator.</summary>
    Xnor,
}

/// <summary>How the accumulator is brought to the layer's output format (re-quantization), per output value.</summary>
public enum RequantKind
{
    /// <summary>Nothing: a float32 datapath producing float32 outputs.</summary>
    None,

    /// <summary>A shift (and a rounding adder): every scale is a power of two (dynamic fixed point, power-of-two scales).</summary>
    Shift,

    /// <summary>An integer multiply by a fixed-point scale, a shift and a rounding adder.</summary>
    FixedPointMultiply,

    /// <summary>A float32 multiply by a float scale plus int↔float conversion (costed as a float32 add).</summary>
    FloatMultiply,

    /// <summary>A float datapath rounded to a minifloat output (costed as a float adder at the output width).</summary>
    FloatRound,
}
