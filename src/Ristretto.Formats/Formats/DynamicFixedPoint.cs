using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// Dynamic fixed point (Ristretto's main format): <c>m · 2^-fl</c> with <c>m</c> a signed
/// <see cref="BitWidth"/>-bit integer. Saturates to <c>[-2^(bw-1), 2^(bw-1) - 1] · 2^-fl</c>;
/// ±Inf saturate, NaN becomes 0, and a zero result is +0 (an integer has no signed zero).
/// </summary>
[FormatKind("dfp")]
public sealed record DynamicFixedPoint : NumberFormat
{
    /// <summary>Largest supported bit width: every value stays exact in float32.</summary>
    public const int MaxBitWidth = 24;

    /// <summary>Creates the format; throws <see cref="RistrettoException"/> on a bad combination.</summary>
    /// <param name="bitWidth">Total bits, sign included: 1 to 24.</param>
    /// <param name="fractionalLength">Fractional bits <c>fl</c>; may be negative (a step larger than 1).</param>
    public DynamicFixedPoint(int bitWidth, int fractionalLength)
    {
        Guard.Check(bitWidth >= 1, $"bw must be ≥ 1, got {bitWidth}");
        Guard.Check(bitWidth <= MaxBitWidth, $"bw must be ≤ {MaxBitWidth} (float32 simulation), got {bitWidth}");
        Guard.Check(fractionalLength >= -126 && fractionalLength <= 126,
            $"fl must be in [-126, 126], got {fractionalLength}");
        Guard.Check(bitWidth - 1 - fractionalLength <= 127,
            $"bw {bitWidth} with fl {fractionalLength} exceeds the float32 range (bw - 1 - fl must be ≤ 127)");
        BitWidth = bitWidth;
        FractionalLength = fractionalLength;
    }

    /// <inheritdoc />
    public override int BitWidth { get; }

    /// <summary>Fractional length <c>fl</c>: the step is <c>2^-fl</c>.</summary>
    public int FractionalLength { get; }

    /// <summary>Integer length <c>bw - fl</c> (sign bit included), as Ristretto reports it.</summary>
    public int IntegerLength => BitWidth - FractionalLength;

    /// <inheritdoc />
    public override string Kind => "dfp";

    /// <summary>The step between neighbouring values, <c>2^-fl</c>.</summary>
    public double Step => Math.ScaleB(1.0, -FractionalLength);

    /// <summary>Smallest integer code, <c>-2^(bw-1)</c>.</summary>
    public long MinCode => -(1L << (BitWidth - 1));

    /// <summary>Largest integer code, <c>2^(bw-1) - 1</c>.</summary>
    public long MaxCode => (1L << (BitWidth - 1)) - 1;

    /// <summary>
    /// Ristretto's choice of <c>fl</c> for a tensor whose largest magnitude is <paramref name="maxAbs"/>:
    /// <c>il = ceil(log2(max)) + 1</c> for weights (<paramref name="isWeights"/>), <c>ceil(log2(max))</c> for
    /// activations; <c>fl = bw - il</c>, clamped to what the format accepts.
    /// </summary>
    public static DynamicFixedPoint FromMaxAbs(int bitWidth, double maxAbs, bool isWeights)
    {
        Guard.Check(bitWidth >= 1, $"bw must be ≥ 1, got {bitWidth}");
        int il = maxAbs > 0 && double.IsFinite(maxAbs) ? (int)Math.Ceiling(Math.Log2(maxAbs)) : 0;
        if (isWeights)
            il += 1;
        int fl = Math.Clamp(bitWidth - il, Math.Max(-126, bitWidth - 128), 126);
        return new DynamicFixedPoint(bitWidth, fl);
    }

    /// <inheritdoc />
    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
        => ScalarMath.Affine(x, Step, 0, MinCode, MaxCode, rounding, u);

    /// <inheritdoc />
    public override (double Min, double Max) ClipRange(int channel = 0) => (MinCode * Step, MaxCode * Step);

    /// <inheritdoc />
    public override string ToString() => $"dfp(bw={BitWidth}, fl={FractionalLength})";

    /// <inheritdoc/>
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["bw"] = BitWidth, ["fl"] = FractionalLength };

    /// <summary>Reads <see cref="ToJson"/>'s object.</summary>
    public static NumberFormat FromJson(JsonNode node) => new DynamicFixedPoint(FormatRegistry.Int(node, "bw"), FormatRegistry.Int(node, "fl"));

    /// <inheritdoc/>
    public override FormatArithmetic Arithmetic => FormatArithmetic.Integer;

    /// <inheritdoc/>
    public override AffineGrid Affine => new([Step], [0], MinCode, MaxCode, null);

    /// <inheritdoc/>
    public override IEnumerable<double> GridValues(double lo, double hi)
    {
        for (long m = (long)Math.Max(MinCode, Math.Floor(lo / Step)); m <= (long)Math.Min(MaxCode, Math.Ceiling(hi / Step)); m++)
            yield return m * Step;
    }

    /// <inheritdoc/>
    public override unsafe void Trim(float* src, float* dst, long count, long inner, Rounding rounding, ulong seed)
    {
        bool st = rounding == Rounding.Stochastic;
        FusedKernel.Run(src, dst, count, inner, [new AffineOp((float)Step, 0, MinCode, MaxCode, st)], st, seed);
    }
}
