using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// Logarithmic quantization (Miyashita, Lee and Murmann, 2016): magnitudes <c>2^(e/k)</c> for base 2 (<c>k = 1</c>) or
/// base √2 (<c>k = 2</c>), <c>e</c> in [<see cref="MinExponent"/>, <see cref="MaxExponent"/>], and zero. A <c>b</c>-bit
/// code is a zero code and <c>2^b − 1</c> exponents when unsigned (activations after a ReLU), or a sign bit, a zero
/// code and <c>2^(b−1) − 1</c> exponents when signed. <see cref="MaxExponent"/> is the full-scale range (the largest
/// value, <c>2^(e_max/k)</c>), calibrated from the largest value seen.
/// </summary>
/// <remarks>
/// Nearest rounds in the log domain, <c>e = round(k·log2|x|)</c> (the split points <c>2^((e+½)/k)</c> are irrational, never
/// a float32 value, so there are no ties), and saturates at <c>e_max</c>. Stochastic picks one of the two neighbouring
/// values with probabilities that make the expectation <c>|x|</c>. Below <c>2^(e_min/k)</c> the grid is {0, 2^(e_min/k)}
/// (half to even, or <c>floor(|x|/2^(e_min/k) + u)</c>). Each magnitude is <c>2^(e/k)</c> rounded to float32 (odd
/// exponents of base √2 are irrational). Unsigned formats turn negative values into +0; NaN gives +0.
/// In hardware a multiply by such a value is a shift (base √2: the odd exponents' products are summed apart and
/// multiplied by √2 once per output, <see cref="ShiftAccumulators"/>).
/// </remarks>
[FormatKind("log")]
public sealed record LogFormat : NumberFormat
{
    /// <summary>Creates the format; throws <see cref="RistrettoException"/> on a bad combination.</summary>
    /// <param name="bitWidth">Bits per code, sign included: 1–16 unsigned, 2–16 signed.</param>
    /// <param name="stepsPerOctave">1 for base 2, 2 for base √2.</param>
    /// <param name="maxExponent">The largest exponent <c>e_max</c>, in steps of 1/<paramref name="stepsPerOctave"/> octave.</param>
    /// <param name="signed">Whether a sign bit is kept.</param>
    public LogFormat(int bitWidth, int stepsPerOctave, int maxExponent, bool signed)
    {
        Guard.Check(stepsPerOctave is 1 or 2, $"a log format's base is 2 or sqrt2, got 2^(1/{stepsPerOctave})");
        Guard.InRange(signed ? "signed log bw" : "unsigned log bw", bitWidth, signed ? 2 : 1, 16);
        Guard.InRange("exp_max", maxExponent, -126 * stepsPerOctave, 127 * stepsPerOctave);
        BitWidthValue = bitWidth;
        StepsPerOctave = stepsPerOctave;
        MaxExponent = maxExponent;
        Signed = signed;
        long exponents = (1L << (signed ? bitWidth - 1 : bitWidth)) - 1;
        MinExponent = (int)Math.Max(maxExponent - exponents + 1, -126L * stepsPerOctave);
    }

    private int BitWidthValue { get; }

    /// <summary>1 for base 2, 2 for base √2.</summary>
    public int StepsPerOctave { get; }

    /// <summary>The largest exponent (the full-scale range), in steps of 1/<see cref="StepsPerOctave"/> octave.</summary>
    public int MaxExponent { get; }

    /// <summary>The smallest exponent: <c>e_max − (exponent codes − 1)</c>, never below float32's normal range.</summary>
    public int MinExponent { get; }

    /// <summary>Whether a sign bit is kept (otherwise the values are non-negative).</summary>
    public bool Signed { get; }

    /// <inheritdoc />
    public override int BitWidth => BitWidthValue;

    /// <inheritdoc />
    public override string Kind => "log";

    /// <summary>The base's name in plan files: "2" or "sqrt2".</summary>
    public string BaseName => StepsPerOctave == 1 ? "2" : "sqrt2";

    /// <summary>The magnitude of exponent <paramref name="e"/>: <c>2^(e/k)</c> rounded to float32.</summary>
    public double Magnitude(int e) => ScalarMath.F32(StepsPerOctave == 1 ? Math.ScaleB(1.0, e) : Math.Pow(2.0, e / (double)StepsPerOctave));

    /// <summary>The largest value, <c>2^(e_max/k)</c>.</summary>
    public double MaxValue => Magnitude(MaxExponent);

    /// <summary>The smallest non-zero magnitude, <c>2^(e_min/k)</c>.</summary>
    public double MinValue => Magnitude(MinExponent);

    /// <summary>
    /// The format whose full-scale range holds <paramref name="max"/>: <c>e_max = round(k·log2 max)</c> (nearest in the log
    /// domain, so the largest value seen rounds to itself or saturates by less than half a step).
    /// </summary>
    public static LogFormat FromMax(int bitWidth, int stepsPerOctave, double max, bool signed)
    {
        double m = max > 0 && double.IsFinite(max) ? max : 1;
        int e = (int)Math.Clamp(Math.Round(stepsPerOctave * Math.Log2(m)), -126 * stepsPerOctave, 127 * stepsPerOctave);
        return new LogFormat(bitWidth, stepsPerOctave, e, signed);
    }

    /// <summary>Parses a base's name: "2" → 1 step per octave, "sqrt2" → 2; null for anything else.</summary>
    public static int? ParseBase(string name) => name switch
    {
        "2" => 1,
        "sqrt2" => 2,
        _ => null,
    };

    /// <inheritdoc />
    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
    {
        double xf = ScalarMath.F32(x);
        if (double.IsNaN(xf) || (!Signed && xf < 0))
            return 0.0;
        double a = Math.Abs(xf);
        double min = MinValue;
        double magnitude;
        if (a < min)
        {
            double r = ScalarMath.RoundToInteger(a / min, rounding, u);
            magnitude = r >= 1 ? min : 0.0;
        }
        else if (double.IsInfinity(a))
        {
            magnitude = MaxValue;
        }
        else if (rounding == Rounding.Nearest)
        {
            magnitude = Magnitude((int)Math.Clamp(Math.Round(StepsPerOctave * Math.Log2(a)), MinExponent, MaxExponent));
        }
        else
        {
            int e = (int)Math.Clamp(Math.Floor(StepsPerOctave * Math.Log2(a)), MinExponent, MaxExponent);
            double lo = Magnitude(e);
            if (e >= MaxExponent)
            {
                magnitude = lo;
            }
            else
            {
                double hi = Magnitude(e + 1);
                double f = Math.Clamp((a - lo) / (hi - lo), 0, 1);
                magnitude = Math.Floor(f + u) >= 1 ? hi : lo;
            }
        }
        return Signed ? Math.CopySign(magnitude, xf) : magnitude;
    }

    /// <inheritdoc />
    public override (double Min, double Max) ClipRange(int channel = 0) => (Signed ? -MaxValue : 0, MaxValue);

    /// <inheritdoc />
    public override string ToString() => $"log{BaseName}({BitWidth}-bit{(Signed ? "" : " unsigned")}, exp=[{MinExponent}, {MaxExponent}]{(StepsPerOctave == 1 ? "" : "/2")})";

    /// <inheritdoc/>
    public override JsonObject ToJson() =>
        new() { ["kind"] = Kind, ["bw"] = BitWidth, ["base"] = BaseName, ["exp_max"] = MaxExponent, ["signed"] = Signed };

    /// <summary>Reads <see cref="ToJson"/>'s object.</summary>
    public static NumberFormat FromJson(JsonNode node)
    {
        string name = (string?)node["base"] ?? throw new RistrettoException("missing \"base\"");
        int k = ParseBase(name) ?? throw new RistrettoException($"\"base\" must be \"2\" or \"sqrt2\", got \"{name}\"");
        return new LogFormat(FormatRegistry.Int(node, "bw"), k, FormatRegistry.Int(node, "exp_max"), (bool?)node["signed"] ?? true);
    }

    /// <summary>A shifter: the values are powers of 2 (or of √2).</summary>
    public override FormatArithmetic Arithmetic => FormatArithmetic.Shift;

    /// <summary>Shift positions: the octaves the exponents span (base √2: half the exponents, rounded up).</summary>
    public override int ShiftPositions => (MaxExponent - MinExponent + StepsPerOctave) / StepsPerOctave;

    /// <summary>Base √2: two accumulators (even and odd exponents), the odd one multiplied by √2 once per output.</summary>
    public override int ShiftAccumulators => StepsPerOctave;

    /// <inheritdoc/>
    public override IEnumerable<double> GridValues(double lo, double hi)
    {
        if (lo <= 0 && hi >= 0)
            yield return 0;
        for (int e = MinExponent; e <= MaxExponent; e++)
        {
            double m = Magnitude(e);
            if (m >= lo && m <= hi)
                yield return m;
            if (Signed && -m >= lo && -m <= hi)
                yield return -m;
        }
    }
}
