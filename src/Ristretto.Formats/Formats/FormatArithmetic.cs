namespace Ristretto.Formats;

/// <summary>What a multiplier for a format's values is in hardware.</summary>
public enum FormatArithmetic
{
    /// <summary>An integer multiplier (fixed point, integer scale/offset).</summary>
    Integer,

    /// <summary>A shifter: the values are signed powers of two.</summary>
    Shift,

    /// <summary>A floating-point multiplier over significands (minifloat).</summary>
    FloatingPoint,

    /// <summary>Two or three levels ±α (0): a sign select, or XNOR when both operands are.</summary>
    TwoLevel,
}
