namespace Ristretto.Formats;

/// <summary>How a value between two representable neighbours is rounded.</summary>
public enum Rounding
{
    /// <summary>To the nearest representable value; exact ties go to the even neighbour (the GPU semantics).</summary>
    Nearest,

    /// <summary>
    /// <c>floor(t + u)</c> on the format's rounding grid, <c>u</c> uniform in [0, 1) from
    /// <see cref="StochasticStream"/>: the expected result equals the input (unbiased).
    /// </summary>
    Stochastic,
}
