using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// Integer power of two (Ristretto's <c>INTEGER_POWER_OF_2_WEIGHTS</c>, multiplier-free arithmetic):
/// <c>sign · 2^e</c>, <c>e</c> in [<see cref="MinExponent"/>, <see cref="MaxExponent"/>], and zero when
/// <see cref="ZeroRepresentable"/> (the default; Ristretto turned a zero weight into +2^exp_min).
/// </summary>
/// <remarks>
/// Nearest rounds in the log domain as Ristretto did, <c>e = round(log2|x|)</c> (the binade
/// <c>[2^E, 2^(E+1))</c> splits at <c>2^(E+1/2)</c>, never a float32 value, so there are no ties).
/// Stochastic picks <c>2^E</c> or <c>2^(E+1)</c> with probabilities that make the expectation <c>|x|</c>
/// (<c>floor(f + u)</c> on the binade's linear fraction <c>f = |x|/2^E - 1</c>); Ristretto's
/// <c>floor(log2|x| + u)</c> was unbiased only in the log domain. Exponents above the range saturate
/// (±Inf too). Below <c>2^MinExponent</c>: with zero, the linear grid {0, 2^MinExponent} is used
/// (half to even or <c>floor(|x|/2^MinExponent + u)</c>); without zero, the value clamps to 2^MinExponent.
/// Signs are kept (a sign-magnitude code); NaN becomes +0 (or +2^MinExponent without zero).
/// </remarks>
[FormatKind("pow2")]
public sealed record PowerOfTwo : NumberFormat
{
    /// <summary>Creates the format; throws <see cref="RistrettoException"/> on a bad combination.</summary>
    /// <param name="minExponent">Smallest exponent (Ristretto's default −8), at least −126.</param>
    /// <param name="maxExponent">Largest exponent (Ristretto's default −1), at most 127.</param>
    /// <param name="zeroRepresentable">Whether zero is a code (default true).</param>
    public PowerOfTwo(int minExponent = -8, int maxExponent = -1, bool zeroRepresentable = true)
    {
        Guard.Check(minExponent <= maxExponent, $"exp_min must be ≤ exp_max, got exp_min {minExponent} > exp_max {maxExponent}");
        Guard.InRange("exp_min", minExponent, -126, 127);
        Guard.InRange("exp_max", maxExponent, -126, 127);
        MinExponent = minExponent;
        MaxExponent = maxExponent;
        ZeroRepresentable = zeroRepresentable;
    }

    /// <summary>Smallest exponent.</summary>
    public int MinExponent { get; }

    /// <summary>Largest exponent.</summary>
    public int MaxExponent { get; }

    /// <summary>Whether zero is representable (small magnitudes may round to it).</summary>
    public bool ZeroRepresentable { get; }

    /// <summary>Sign bit plus the bits to number the exponents (and the zero code).</summary>
    public override int BitWidth
    {
        get
        {
            long codes = (long)MaxExponent - MinExponent + 1 + (ZeroRepresentable ? 1 : 0);
            int bits = 0;
            while ((1L << bits) < codes)
                bits++;
            return 1 + bits;
        }
    }

    /// <inheritdoc />
    public override string Kind => "pow2";

    /// <summary>The largest magnitude, <c>2^MaxExponent</c>.</summary>
    public double MaxValue => Math.ScaleB(1.0, MaxExponent);

    /// <summary>The smallest nonzero magnitude, <c>2^MinExponent</c>.</summary>
    public double MinValue => Math.ScaleB(1.0, MinExponent);

    /// <inheritdoc />
    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
    {
        double xf = ScalarMath.F32(x);
        if (double.IsNaN(xf))
            return ZeroRepresentable ? 0.0 : MinValue;
        double a = Math.Abs(xf);
        if (a < MinValue)
        {
            if (!ZeroRepresentable)
                return Math.CopySign(MinValue, xf);
            double r = ScalarMath.RoundToInteger(a / MinValue, rounding, u);
            return Math.CopySign(r >= 1 ? MinValue : 0.0, xf);
        }
        if (double.IsInfinity(a))
            return Math.CopySign(MaxValue, xf);
        double e;
        if (rounding == Rounding.Nearest)
        {
            e = Math.Round(Math.Log2(a));
        }
        else
        {
            int binade = Math.ILogB(a);
            double f = Math.ScaleB(a, -binade) - 1;
            e = binade + Math.Floor(f + u);
        }
        return Math.CopySign(Math.ScaleB(1.0, (int)Math.Min(e, MaxExponent)), xf);
    }

    /// <inheritdoc />
    public override (double Min, double Max) ClipRange(int channel = 0) => (-MaxValue, MaxValue);

    /// <inheritdoc />
    public override string ToString() => $"pow2(exp=[{MinExponent}, {MaxExponent}], zero={ZeroRepresentable})";

    /// <inheritdoc/>
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["exp_min"] = MinExponent, ["exp_max"] = MaxExponent, ["zero"] = ZeroRepresentable };

    /// <summary>Reads <see cref="ToJson"/>'s object.</summary>
    public static NumberFormat FromJson(JsonNode node) =>
        new PowerOfTwo(FormatRegistry.Int(node, "exp_min"), FormatRegistry.Int(node, "exp_max"), (bool?)node["zero"] ?? true);

    /// <inheritdoc/>
    public override FormatArithmetic Arithmetic => FormatArithmetic.Shift;

    /// <inheritdoc/>
    public override int ShiftPositions => MaxExponent - MinExponent + 1;

    /// <summary>
    /// Multiples of <c>2^MinExponent</c> with codes in ±2^(MaxExponent − MinExponent) (a shifted one): every value is one,
    /// though not every code is a value. Null beyond 2^52 codes (no integer datapath holds them).
    /// </summary>
    public override AffineGrid? IntegerGrid => MaxExponent - MinExponent > 52 ? null
        : new([MinValue], [0], -(1L << (MaxExponent - MinExponent)), 1L << (MaxExponent - MinExponent), null);

    /// <inheritdoc/>
    public override IEnumerable<double> GridValues(double lo, double hi)
    {
        if (ZeroRepresentable && lo <= 0 && hi >= 0)
            yield return 0;
        for (int e = MinExponent; e <= MaxExponent; e++)
            foreach (double v in new[] { Math.ScaleB(1.0, e), -Math.ScaleB(1.0, e) })
                if (v >= lo && v <= hi)
                    yield return v;
    }

    /// <inheritdoc/>
    public override unsafe void Trim(float* src, float* dst, long count, long inner, Rounding rounding, ulong seed)
    {
        bool st = rounding == Rounding.Stochastic;
        FusedKernel.Run(src, dst, count, inner, [new PowerOfTwoOp(this, st)], st, seed);
    }
}
