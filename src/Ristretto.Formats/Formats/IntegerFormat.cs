using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// An integer grid with scale and offset (uniform affine quantization):
/// <c>q = clamp(round(x / s) + z, qmin, qmax)</c>, value <c>(q - z) · s</c>, computed in float32
/// (<c>x / s</c> and the final product are float32 operations, exactly as the tensors do them).
/// Symmetric (<c>z = 0</c>, signed codes) or asymmetric (unsigned codes with a zero point), per tensor
/// or per channel along <see cref="ChannelAxis"/>; the scale is a float, a fixed-point number or a power of two.
/// NaN becomes 0 (code <c>z</c>), ±Inf saturate, and a zero result is +0.
/// </summary>
[FormatKind("int")]
public sealed record IntegerFormat : NumberFormat
{
    /// <summary>Creates the format; throws <see cref="RistrettoException"/> on a bad combination.</summary>
    /// <param name="bitWidth">Bits per code: 1 to 24.</param>
    /// <param name="signed">Signed codes <c>[-2^(b-1), 2^(b-1) - 1]</c>, or unsigned <c>[0, 2^b - 1]</c>.</param>
    /// <param name="scales">One scale (per tensor) or one per channel.</param>
    /// <param name="zeroPoints">Integer zero points (one per scale), default all 0; each must be a valid code.</param>
    /// <param name="channelAxis">Axis the channels run along; required when there is more than one scale.</param>
    /// <param name="narrowRange">Signed only: drop the code <c>-2^(b-1)</c> so the range is symmetric.</param>
    /// <param name="scaleKind">What values a scale may take.</param>
    /// <param name="scaleFractionBits">Fraction bits of a <see cref="ScaleKind.FixedPoint"/> scale.</param>
    public IntegerFormat(int bitWidth, bool signed, IEnumerable<float> scales, IEnumerable<int>? zeroPoints = null,
        int? channelAxis = null, bool narrowRange = false, ScaleKind scaleKind = ScaleKind.Float, int scaleFractionBits = 0)
    {
        Guard.InRange("bw", bitWidth, 1, 24);
        Guard.Check(!narrowRange || (signed && bitWidth >= 2), "narrow range needs signed codes and bw ≥ 2");
        var s = scales.ToImmutableArray();
        var z = zeroPoints?.ToImmutableArray() ?? ImmutableArray.CreateRange(Enumerable.Repeat(0, s.Length));
        Guard.Check(s.Length >= 1, "an integer format needs at least one scale");
        Guard.Check(z.Length == s.Length, $"got {s.Length} scales but {z.Length} zero points");
        Guard.Check(s.Length == 1 || channelAxis is not null, $"{s.Length} per-channel scales need a channel axis");
        Guard.Check(channelAxis is null or >= 0, $"channel axis must be ≥ 0, got {channelAxis}");
        Guard.InRange("scale fraction bits", scaleFractionBits, -126, 126);
        BitWidth = bitWidth;
        Signed = signed;
        NarrowRange = narrowRange;
        QMin = signed ? -(1L << (bitWidth - 1)) + (narrowRange ? 1 : 0) : 0;
        QMax = signed ? (1L << (bitWidth - 1)) - 1 : (1L << bitWidth) - 1;
        for (int c = 0; c < s.Length; c++)
        {
            Guard.Check(Guard.IsPositiveNormalFloat(s[c]), $"scale must be a positive normal float32, got {s[c]} (channel {c})");
            Guard.Check(IsAllowedScale(s[c], scaleKind, scaleFractionBits),
                $"scale {s[c]} (channel {c}) is not a {Describe(scaleKind, scaleFractionBits)}; use SnapScale");
            Guard.Check(z[c] >= QMin && z[c] <= QMax, $"zero point must be in [{QMin}, {QMax}], got {z[c]} (channel {c})");
        }
        Scales = s;
        ZeroPoints = z;
        ChannelAxis = channelAxis;
        ScaleKind = scaleKind;
        ScaleFractionBits = scaleFractionBits;
    }

    /// <summary>Symmetric per-tensor format: signed codes, zero point 0.</summary>
    public static IntegerFormat Symmetric(int bitWidth, float scale, bool narrowRange = false,
        ScaleKind scaleKind = ScaleKind.Float, int scaleFractionBits = 0)
        => new(bitWidth, true, [scale], null, null, narrowRange, scaleKind, scaleFractionBits);

    /// <summary>Asymmetric per-tensor format: unsigned codes <c>[0, 2^b - 1]</c> and a zero point.</summary>
    public static IntegerFormat Asymmetric(int bitWidth, float scale, int zeroPoint,
        ScaleKind scaleKind = ScaleKind.Float, int scaleFractionBits = 0)
        => new(bitWidth, false, [scale], [zeroPoint], null, false, scaleKind, scaleFractionBits);

    /// <summary>Per-channel format: one scale (and zero point) per index along <paramref name="axis"/>.</summary>
    public static IntegerFormat PerChannel(int bitWidth, int axis, IEnumerable<float> scales, IEnumerable<int>? zeroPoints = null,
        bool signed = true, bool narrowRange = false, ScaleKind scaleKind = ScaleKind.Float, int scaleFractionBits = 0)
        => new(bitWidth, signed, scales, zeroPoints, axis, narrowRange, scaleKind, scaleFractionBits);

    /// <inheritdoc />
    public override int BitWidth { get; }

    /// <summary>Signed or unsigned codes.</summary>
    public bool Signed { get; }

    /// <summary>Whether the most negative signed code is dropped.</summary>
    public bool NarrowRange { get; }

    /// <summary>Smallest code.</summary>
    public long QMin { get; }

    /// <summary>Largest code.</summary>
    public long QMax { get; }

    /// <summary>Scales, one per channel (one for a per-tensor format).</summary>
    public ImmutableArray<float> Scales { get; }

    /// <summary>Zero points, one per scale.</summary>
    public ImmutableArray<int> ZeroPoints { get; }

    /// <summary>What values the scales may take.</summary>
    public ScaleKind ScaleKind { get; }

    /// <summary>Fraction bits of a fixed-point scale.</summary>
    public int ScaleFractionBits { get; }

    /// <inheritdoc />
    public override int? ChannelAxis { get; }

    /// <inheritdoc />
    public override int ChannelCount => Scales.Length;

    /// <summary>True when every zero point is 0.</summary>
    public bool IsSymmetric => ZeroPoints.All(z => z == 0);

    /// <inheritdoc />
    public override string Kind => "int";

    /// <summary>
    /// The allowed scale nearest to <paramref name="scale"/> (in the log domain for a power of two; at least
    /// one fixed-point step): how calibration or a learned scale is made legal for <paramref name="kind"/>.
    /// </summary>
    public static float SnapScale(double scale, ScaleKind kind, int scaleFractionBits = 0)
    {
        Guard.Check(scale > 0 && double.IsFinite(scale), $"scale must be positive and finite, got {scale}");
        return kind switch
        {
            ScaleKind.PowerOfTwo => (float)Math.ScaleB(1.0, Math.Clamp((int)Math.Round(Math.Log2(scale)), -126, 127)),
            ScaleKind.FixedPoint => (float)(Math.Clamp(Math.Round(Math.ScaleB(scale, scaleFractionBits)), 1, (1 << 24) - 1)
                                            * Math.ScaleB(1.0, -scaleFractionBits)),
            _ => (float)scale,
        };
    }

    /// <inheritdoc />
    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
        => ScalarMath.Affine(x, Scales[channel], ZeroPoints[channel], QMin, QMax, rounding, u);

    /// <inheritdoc />
    public override (double Min, double Max) ClipRange(int channel = 0)
        => ((QMin - ZeroPoints[channel]) * (double)Scales[channel], (QMax - ZeroPoints[channel]) * (double)Scales[channel]);

    /// <inheritdoc />
    public override string ToString()
        => $"int(bw={BitWidth}, {(Signed ? "signed" : "unsigned")}, {(ChannelAxis is { } a ? $"per-channel axis {a} ×{ChannelCount}" : $"scale={Scales[0]}, zp={ZeroPoints[0]}")})";

    /// <summary>Value equality, comparing the scales and zero points element by element (bit patterns of the scales).</summary>
    public bool Equals(IntegerFormat? other) =>
        other is not null && BitWidth == other.BitWidth && Signed == other.Signed && NarrowRange == other.NarrowRange
        && ChannelAxis == other.ChannelAxis && ScaleKind == other.ScaleKind && ScaleFractionBits == other.ScaleFractionBits
        && Scales.Select(BitConverter.SingleToInt32Bits).SequenceEqual(other.Scales.Select(BitConverter.SingleToInt32Bits))
        && ZeroPoints.SequenceEqual(other.ZeroPoints);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(BitWidth);
        hash.Add(Signed);
        hash.Add(ChannelAxis);
        hash.Add(ScaleKind);
        foreach (float s in Scales)
            hash.Add(BitConverter.SingleToInt32Bits(s));
        foreach (int z in ZeroPoints)
            hash.Add(z);
        return hash.ToHashCode();
    }

    private static bool IsAllowedScale(float s, ScaleKind kind, int fracBits) => kind switch
    {
        ScaleKind.PowerOfTwo => (BitConverter.SingleToInt32Bits(s) & 0x7FFFFF) == 0,
        ScaleKind.FixedPoint => Math.ScaleB(s, fracBits) is var n && n == Math.Floor(n) && n >= 1 && n < (1 << 24),
        _ => true,
    };

    private static string Describe(ScaleKind kind, int fracBits) => kind switch
    {
        ScaleKind.PowerOfTwo => "power of two",
        ScaleKind.FixedPoint => $"fixed-point number with {fracBits} fraction bits",
        _ => "float",
    };

    /// <inheritdoc/>
    public override JsonObject ToJson() => new()
    {
        ["kind"] = Kind, ["bw"] = BitWidth, ["signed"] = Signed,
        ["scales"] = new JsonArray(Scales.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
        ["zero_points"] = new JsonArray(ZeroPoints.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
        ["axis"] = ChannelAxis, ["narrow"] = NarrowRange, ["scale_kind"] = ScaleKindName(ScaleKind),
        ["scale_frac_bits"] = ScaleFractionBits,
    };

    /// <summary>Reads <see cref="ToJson"/>'s object.</summary>
    public static NumberFormat FromJson(JsonNode node)
    {
        var scales = node["scales"] as JsonArray ?? throw new RistrettoException("missing \"scales\" array");
        var zeros = node["zero_points"] as JsonArray;
        return new IntegerFormat(FormatRegistry.Int(node, "bw"), (bool?)node["signed"] ?? true,
            scales.Select(x => x is null ? throw new RistrettoException("null scale") : (float)x),
            zeros?.Select(x => x is null ? throw new RistrettoException("null zero point") : (int)x),
            (int?)node["axis"], (bool?)node["narrow"] ?? false, ParseScaleKind((string?)node["scale_kind"]),
            (int?)node["scale_frac_bits"] ?? 0);
    }

    private static string ScaleKindName(ScaleKind kind) => kind switch
    {
        ScaleKind.Float => "float",
        ScaleKind.FixedPoint => "fixed",
        ScaleKind.PowerOfTwo => "pow2",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static ScaleKind ParseScaleKind(string? name) => name switch
    {
        null or "float" => ScaleKind.Float,
        "fixed" => ScaleKind.FixedPoint,
        "pow2" => ScaleKind.PowerOfTwo,
        _ => throw new RistrettoException($"unknown scale_kind '{name}' (float, fixed, pow2)"),
    };

    /// <inheritdoc/>
    public override FormatArithmetic Arithmetic => FormatArithmetic.Integer;

    /// <inheritdoc/>
    public override ScaleKind RequantScale => ScaleKind;

    /// <inheritdoc/>
    public override bool HasZeroPoint => !IsSymmetric;

    /// <summary>Stored scale and zero-point bits: a float scale 32, fixed point its integer bits, a power of two an 8-bit exponent.</summary>
    public override long ScaleParameterBits => (long)ChannelCount * ((ScaleKind switch { ScaleKind.Float => 32, ScaleKind.FixedPoint => FixedScaleBits, _ => 8 })
                                                                 + (IsSymmetric ? 0 : BitWidth));

    /// <summary>Bits of the largest fixed-point scale integer <c>n = s·2^f</c>.</summary>
    public override int FixedScaleBits
    {
        get
        {
            double max = Scales.Max(s => Math.ScaleB(s, ScaleFractionBits));
            int bits = 1;
            while (Math.ScaleB(1.0, bits) <= max)
                bits++;
            return bits;
        }
    }

    /// <inheritdoc/>
    public override AffineGrid Affine => new(Scales.Select(s => (double)s).ToList(), ZeroPoints.ToList(), QMin, QMax, ChannelAxis);

    /// <inheritdoc/>
    public override IEnumerable<double> GridValues(double lo, double hi)
    {
        double s = Scales[0];
        int z = ZeroPoints[0];
        for (long q = (long)Math.Max(QMin, Math.Floor(lo / s) + z); q <= (long)Math.Min(QMax, Math.Ceiling(hi / s) + z); q++)
            yield return (q - z) * s;
    }

    /// <inheritdoc/>
    public override unsafe void Trim(float* src, float* dst, long count, long inner, Rounding rounding, ulong seed)
    {
        bool st = rounding == Rounding.Stochastic;
        var ops = Enumerable.Range(0, ChannelCount).Select(c => new AffineOp(Scales[c], ZeroPoints[c], QMin, QMax, st)).ToArray();
        FusedKernel.Run(src, dst, count, inner, ops, st, seed);
    }
}
