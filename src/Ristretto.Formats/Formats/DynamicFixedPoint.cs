using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// Dynamic fixed point (Ristretto's main format): <c>m · 2^-fl</c> with <c>m</c> a signed
/// <see cref="BitWidth"/>-bit integer. Saturates to <c>[-2^(bw-1), 2^(bw-1) - 1] · 2^-fl</c>;
/// ±Inf saturate, NaN becomes 0, and a zero result is +0 (an integer has no signed zero). The unsigned flavour
/// (<see cref="Signed"/> false, for tensors that cannot be negative: after a ReLU, pooling of such) has codes
/// <c>[0, 2^bw - 1]</c>: one more bit of resolution over the same range; negative values saturate to 0.
/// </summary>
[FormatKind("dfp")]
public sealed record DynamicFixedPoint : NumberFormat
{
    /// <summary>Largest supported bit width: every value stays exact in float32.</summary>
    public const int MaxBitWidth = 24;

    /// <summary>Creates the format; throws <see cref="RistrettoException"/> on a bad combination.</summary>
    /// <param name="bitWidth">Total bits, sign included: 1 to 24.</param>
    /// <param name="fractionalLength">Fractional bits <c>fl</c>; may be negative (a step larger than 1).</param>
    /// <param name="signed">Signed codes (Ristretto's only kind), or unsigned <c>[0, 2^bw - 1]</c>.</param>
    public DynamicFixedPoint(int bitWidth, int fractionalLength, bool signed = true)
    {
        Guard.Check(bitWidth >= 1, $"bw must be ≥ 1, got {bitWidth}");
        Guard.Check(bitWidth <= MaxBitWidth, $"bw must be ≤ {MaxBitWidth} (float32 simulation), got {bitWidth}");
        Guard.Check(fractionalLength >= -126 && fractionalLength <= 126,
            $"fl must be in [-126, 126], got {fractionalLength}");
        Guard.Check(bitWidth - (signed ? 1 : 0) - fractionalLength <= 127,
            $"bw {bitWidth} with fl {fractionalLength} exceeds the float32 range ({(signed ? "bw - 1 - fl" : "bw - fl, unsigned,")} must be ≤ 127)");
        BitWidth = bitWidth;
        FractionalLength = fractionalLength;
        Signed = signed;
    }

    /// <inheritdoc />
    public override int BitWidth { get; }

    /// <summary>Fractional length <c>fl</c>: the step is <c>2^-fl</c>.</summary>
    public int FractionalLength { get; }

    /// <summary>Signed codes (Ristretto's), or unsigned ones that hold non-negative values only.</summary>
    public bool Signed { get; }

    /// <summary>Integer length <c>bw - fl</c> (sign bit included when signed), as Ristretto reports it.</summary>
    public int IntegerLength => BitWidth - FractionalLength;

    /// <inheritdoc />
    public override string Kind => "dfp";

    /// <summary>The step between neighbouring values, <c>2^-fl</c>.</summary>
    public double Step => Math.ScaleB(1.0, -FractionalLength);

    /// <summary>Smallest integer code, <c>-2^(bw-1)</c> (0 when unsigned).</summary>
    public long MinCode => Signed ? -(1L << (BitWidth - 1)) : 0;

    /// <summary>Largest integer code, <c>2^(bw-1) - 1</c> (<c>2^bw - 1</c> when unsigned).</summary>
    public long MaxCode => Signed ? (1L << (BitWidth - 1)) - 1 : (1L << BitWidth) - 1;

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

    /// <summary>
    /// The format that holds <paramref name="maxAbs"/>: the largest <c>fl</c> whose largest code, plus the half step that
    /// rounds down to it, reaches the maximum (so no calibrated value saturates beyond the rounding error). Signed
    /// (<paramref name="signed"/>) or unsigned. A signed 1-bit format has no positive code; it holds −max instead.
    /// </summary>
    public static DynamicFixedPoint Holding(int bitWidth, double maxAbs, bool signed = true)
    {
        Guard.Check(bitWidth >= 1, $"bw must be ≥ 1, got {bitWidth}");
        int lo = Math.Max(-126, bitWidth - (signed ? 128 : 127)), hi = 126;
        if (!(maxAbs > 0) || !double.IsFinite(maxAbs))
            return new DynamicFixedPoint(bitWidth, Math.Clamp(bitWidth - (signed ? 1 : 0), lo, hi), signed);
        double top = signed ? (bitWidth == 1 ? 1 : Math.ScaleB(1.0, bitWidth - 1) - 0.5) : Math.ScaleB(1.0, bitWidth) - 0.5;
        // max ≤ top · 2^-fl  ⇔  fl ≤ log2(top / max); start from the estimate and correct for rounding in the logarithm.
        int fl = (int)Math.Floor(Math.Log2(top / maxAbs));
        while (Math.ScaleB(top, -fl) < maxAbs)
            fl--;
        while (Math.ScaleB(top, -(fl + 1)) >= maxAbs)
            fl++;
        return new DynamicFixedPoint(bitWidth, Math.Clamp(fl, lo, hi), signed);
    }

    /// <inheritdoc />
    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
        => ScalarMath.Affine(x, Step, 0, MinCode, MaxCode, rounding, u);

    /// <inheritdoc />
    public override (double Min, double Max) ClipRange(int channel = 0) => (MinCode * Step, MaxCode * Step);

    /// <inheritdoc />
    public override string ToString() => Signed ? $"dfp(bw={BitWidth}, fl={FractionalLength})" : $"dfp(bw={BitWidth}, fl={FractionalLength}, unsigned)";

    /// <summary>The plan-file object: kind, bw, fl, and <c>"signed": false</c> for the unsigned flavour (absent: signed, as plan files before version 2 hold).</summary>
    public override JsonObject ToJson()
    {
        var json = new JsonObject { ["kind"] = Kind, ["bw"] = BitWidth, ["fl"] = FractionalLength };
        if (!Signed)
            json["signed"] = false;
        return json;
    }

    /// <summary>Reads <see cref="ToJson"/>'s object.</summary>
    public static NumberFormat FromJson(JsonNode node) => new DynamicFixedPoint(FormatRegistry.Int(node, "bw"), FormatRegistry.Int(node, "fl"),
        node["signed"] is { } s ? s.GetValueKind() is System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False
            ? s.GetValue<bool>() : throw new RistrettoException($"dfp \"signed\" must be true or false, got {s.ToJsonString()}") : true);

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
