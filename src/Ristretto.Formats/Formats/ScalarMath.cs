namespace Ristretto.Formats;

/// <summary>
/// The double-precision rounding primitives of the scalar reference. They are written from the definitions
/// (<see cref="Math.Round(double)"/> is half to even; stochastic is an exact <c>floor(t + u)</c>), independent of
/// the float32 tricks the tensor kernels use.
/// </summary>
internal static class ScalarMath
{
    /// <summary>Rounds <paramref name="t"/> to an integer: half to even, or <c>floor(t + u)</c>.</summary>
    /// <remarks>
    /// With <paramref name="u"/> a multiple of 2^-24 and <paramref name="t"/> a float32 value the double sum is
    /// either exact or so far from an integer that its rounding cannot change the floor.
    /// </remarks>
    public static double RoundToInteger(double t, Rounding rounding, double u)
        => rounding == Rounding.Nearest ? Math.Round(t, MidpointRounding.ToEven) : Math.Floor(t + u);

    /// <summary>Rounds to float32 and back: the value a float32 operation would store.</summary>
    public static double F32(double x) => (float)x;

    /// <summary>
    /// The integer grid with scale and offset: <c>v = fl32(x / s)</c>, <c>q = clamp(round(v) + z, qmin, qmax)</c>
    /// (NaN gives <c>q = z</c>), result <c>fl32((q - z) · s)</c>. Shared by dynamic fixed point and the integer formats.
    /// </summary>
    public static double Affine(double x, double scale, double zeroPoint, double qmin, double qmax, Rounding rounding, double u)
    {
        double v = F32(F32(x) / scale);
        double q = double.IsNaN(v)
            ? zeroPoint
            : Math.Clamp(RoundToInteger(v, rounding, u) + zeroPoint, qmin, qmax);
        return F32((q - zeroPoint) * scale);
    }
}
