using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// Minifloat (Ristretto's <c>MINIFLOAT</c>): sign, <see cref="ExponentBits"/> <c>e</c> and
/// <see cref="MantissaBits"/> <c>m</c>, bias <c>2^(e-1) - 1</c>. As in Ristretto every exponent field
/// (0 … 2^e - 1) is a normal binade, so the exponent range is <c>[-bias, 2^e - 1 - bias]</c>; there are no
/// denormals (magnitudes below <c>2^Emin</c> flush to a signed zero) and no Inf/NaN codes.
/// </summary>
/// <remarks>
/// Magnitudes beyond the largest value <c>(2 - 2^-m) · 2^Emax</c> saturate to it, ±Inf saturate, NaN becomes
/// +max. The mantissa is rounded on the magnitude (half to even, or <c>floor(t + u)</c>), and a rounding carry
/// into the next binade is checked against saturation again (Ristretto's CPU and GPU code did not). With 8
/// exponent bits the nominal range [2^-127, 2^128] is cut to float32's normal range [2^-126, 2^127].
/// </remarks>
[FormatKind("minifloat")]
public sealed record MiniFloat : NumberFormat
{
    /// <summary>Creates the format; throws <see cref="RistrettoException"/> on a bad combination.</summary>
    /// <param name="exponentBits">Exponent bits <c>e</c>: 1 to 8.</param>
    /// <param name="mantissaBits">Stored mantissa bits <c>m</c> (without the hidden 1): 0 to 23.</param>
    public MiniFloat(int exponentBits, int mantissaBits)
    {
        Guard.Check(exponentBits >= 1, $"exp_bits must be ≥ 1, got {exponentBits}");
        Guard.Check(exponentBits <= 8, $"exp_bits must be ≤ 8 (float32 simulation), got {exponentBits}");
        Guard.Check(mantissaBits >= 0, $"mant_bits must be ≥ 0, got {mantissaBits}");
        Guard.Check(mantissaBits <= 23, $"mant_bits must be ≤ 23 (float32 simulation), got {mantissaBits}");
        ExponentBits = exponentBits;
        MantissaBits = mantissaBits;
        int bias = (1 << (exponentBits - 1)) - 1;
        MinExponent = Math.Max(-bias, -126);
        MaxExponent = Math.Min((1 << exponentBits) - 1 - bias, 127);
    }

    /// <summary>Exponent bits <c>e</c>.</summary>
    public int ExponentBits { get; }

    /// <summary>Stored mantissa bits <c>m</c>.</summary>
    public int MantissaBits { get; }

    /// <summary>Exponent bias <c>2^(e-1) - 1</c>.</summary>
    public int Bias => (1 << (ExponentBits - 1)) - 1;

    /// <summary>Smallest unbiased exponent: the smallest magnitude is <c>2^MinExponent</c>.</summary>
    public int MinExponent { get; }

    /// <summary>Largest unbiased exponent.</summary>
    public int MaxExponent { get; }

    /// <inheritdoc />
    public override int BitWidth => 1 + ExponentBits + MantissaBits;

    /// <inheritdoc />
    public override string Kind => "minifloat";

    /// <summary>The largest magnitude, <c>(2 - 2^-m) · 2^MaxExponent</c>.</summary>
    public double MaxValue => (2 - Math.ScaleB(1.0, -MantissaBits)) * Math.ScaleB(1.0, MaxExponent);

    /// <summary>The smallest nonzero magnitude, <c>2^MinExponent</c>.</summary>
    public double MinNormal => Math.ScaleB(1.0, MinExponent);

    /// <summary>
    /// Ristretto's exponent width for activations whose largest magnitude is <paramref name="maxAbs"/>:
    /// <c>max(4, ceil(log2(log2(max) - 1) + 1))</c>, at most 8.
    /// </summary>
    public static int ExponentBitsFor(double maxAbs)
    {
        double l = Math.Log2(maxAbs) - 1;
        int e = l > 0 && double.IsFinite(l) ? (int)Math.Ceiling(Math.Log2(l) + 1) : 4;
        return Math.Clamp(e, 4, 8);
    }

    /// <inheritdoc />
    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
    {
        double xf = ScalarMath.F32(x);
        if (double.IsNaN(xf))
            return MaxValue;
        double a = Math.Abs(xf);
        if (a == 0)
            return xf;
        if (double.IsInfinity(a) || Math.ILogB(a) > MaxExponent)
            return Math.CopySign(MaxValue, xf);
        int e = Math.ILogB(a);
        if (e < MinExponent)
            return Math.CopySign(0.0, xf);
        double t = Math.ScaleB(a, MantissaBits - e);             // in [2^m, 2^(m+1)), exact
        double r = ScalarMath.RoundToInteger(t, rounding, u);
        if (r >= Math.ScaleB(1.0, MantissaBits + 1))
        {
            r /= 2;                                               // carry into the next binade
            e += 1;
        }
        if (e > MaxExponent)
            return Math.CopySign(MaxValue, xf);
        return Math.CopySign(Math.ScaleB(r, e - MantissaBits), xf);
    }

    /// <inheritdoc />
    public override (double Min, double Max) ClipRange(int channel = 0) => (-MaxValue, MaxValue);

    /// <inheritdoc />
    public override string ToString() => $"minifloat(exp={ExponentBits}, mant={MantissaBits})";

    /// <inheritdoc/>
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["exp_bits"] = ExponentBits, ["mant_bits"] = MantissaBits };

    /// <summary>Reads <see cref="ToJson"/>'s object.</summary>
    public static NumberFormat FromJson(JsonNode node) => new MiniFloat(FormatRegistry.Int(node, "exp_bits"), FormatRegistry.Int(node, "mant_bits"));

    /// <inheritdoc/>
    public override FormatArithmetic Arithmetic => FormatArithmetic.FloatingPoint;

    /// <inheritdoc/>
    public override ScaleKind RequantScale => ScaleKind.Float;

    /// <inheritdoc/>
    public override int SignificandBits => MantissaBits + 1;

    /// <inheritdoc/>
    public override IEnumerable<double> GridValues(double lo, double hi)
    {
        if (lo <= 0 && hi >= 0)
            yield return 0;
        for (int e = MinExponent; e <= MaxExponent; e++)
            for (int k = 0; k < 1 << MantissaBits; k++)
            {
                double v = (1 + k / (double)(1 << MantissaBits)) * Math.ScaleB(1.0, e);
                if (v >= lo && v <= hi)
                    yield return v;
                if (-v >= lo && -v <= hi)
                    yield return -v;
            }
    }

    /// <inheritdoc/>
    public override unsafe void Trim(float* src, float* dst, long count, long inner, Rounding rounding, ulong seed)
    {
        bool st = rounding == Rounding.Stochastic;
        FusedKernel.Run(src, dst, count, inner, [new MiniFloatOp(this, st)], st, seed);
    }
}
