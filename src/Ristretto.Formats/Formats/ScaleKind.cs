namespace Ristretto.Formats;

/// <summary>What values the scale of an <see cref="IntegerFormat"/> may take (what the hardware multiplies by).</summary>
public enum ScaleKind
{
    /// <summary>Any positive normal float32 value.</summary>
    Float,

    /// <summary>A fixed-point number <c>n · 2^-f</c>, <c>n</c> a positive integer below 2^24, <c>f</c> the format's scale fraction bits.</summary>
    FixedPoint,

    /// <summary>A power of two <c>2^k</c> (a shift in hardware).</summary>
    PowerOfTwo,
}
