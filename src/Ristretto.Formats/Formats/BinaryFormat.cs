using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// Binary values <c>±α</c> (BinaryConnect / XNOR-Net weights), 1 bit; one α for the tensor, or one per channel along
/// <see cref="ChannelAxis"/> (XNOR-Net's per-filter α).
/// Nearest: <c>x ≥ 0 → +α</c> (so ±0 give +α), <c>x &lt; 0 → -α</c>; NaN gives +α.
/// Stochastic: +α with probability <c>t = (clamp(x/α, -1, 1) + 1) / 2</c> (hard sigmoid), i.e.
/// <c>floor(t + u)</c> picks the code, so the expectation is <c>x</c> inside <c>[-α, α]</c>;
/// <c>x/α</c> and <c>+ 1</c> are float32 operations.
/// </summary>
[FormatKind("binary")]
public sealed record BinaryFormat : NumberFormat
{
    /// <summary>Creates the format; <paramref name="alpha"/> must be a positive normal float32.</summary>
    public BinaryFormat(float alpha) : this([alpha], null)
    {
    }

    /// <summary>
    /// A per-channel format when <paramref name="channelAxis"/> is given: channel <c>c</c>'s values are <c>±alphas[c]</c>;
    /// every α must be a positive normal float32.
    /// </summary>
    public BinaryFormat(IEnumerable<float> alphas, int? channelAxis)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        var a = alphas.ToImmutableArray();
        Guard.Check(a.Length >= 1, "a binary format needs at least one alpha");
        Guard.Check(a.Length == 1 || channelAxis is not null, $"{a.Length} per-channel alphas need a channel axis");
        Guard.Check(channelAxis is null or >= 0, $"channel axis must be ≥ 0, got {channelAxis}");
        foreach (float v in a)
            Guard.Check(Guard.IsPositiveNormalFloat(v), $"alpha must be a positive normal float32, got {v}");
        Alphas = a;
        ChannelAxis = channelAxis;
    }

    /// <summary>The magnitude α of both codes (channel 0's for a per-channel format).</summary>
    public float Alpha => Alphas[0];

    /// <summary>α per channel (one for a per-tensor format).</summary>
    public ImmutableArray<float> Alphas { get; }

    /// <inheritdoc />
    public override int? ChannelAxis { get; }

    /// <inheritdoc />
    public override int ChannelCount => Alphas.Length;

    /// <inheritdoc />
    public override int BitWidth => 1;

    /// <inheritdoc />
    public override string Kind => "binary";

    /// <summary>XNOR-Net's α for weights <paramref name="w"/>: the mean magnitude.</summary>
    public static BinaryFormat FromMeanAbs(IEnumerable<float> w) => new(MeanAbs(w));

    /// <summary>XNOR-Net's per-filter α: the mean magnitude of each row (output channel, axis 0) of <paramref name="rows"/>.</summary>
    public static BinaryFormat PerChannelFromMeanAbs(IEnumerable<IReadOnlyList<float>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var alphas = rows.Select(r => Math.Max(MeanAbs(r), 1.17549435e-38f)).ToList();
        return alphas.Count == 1 ? new BinaryFormat(alphas[0]) : new BinaryFormat(alphas, 0);
    }

    private static float MeanAbs(IEnumerable<float> w) => (float)w.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Average();

    /// <inheritdoc />
    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
    {
        float alpha = Alphas[channel];
        double xf = ScalarMath.F32(x);
        if (double.IsNaN(xf))
            return alpha;
        if (rounding == Rounding.Nearest)
            return xf < 0 ? -alpha : alpha;
        double w = Math.Clamp(ScalarMath.F32(xf / alpha), -1, 1);
        double t = ScalarMath.F32(w + 1) * 0.5;
        return Math.Floor(t + u) >= 1 ? alpha : -alpha;
    }

    /// <inheritdoc />
    public override double? BipolarScale => ChannelAxis is null ? Alpha : null;

    /// <inheritdoc />
    public override (double Min, double Max) ClipRange(int channel = 0) => (-Alphas[channel], Alphas[channel]);

    /// <inheritdoc />
    public override string ToString() => ChannelAxis is { } axis ? $"binary(per-channel axis {axis} ×{ChannelCount})" : $"binary(alpha={Alpha})";

    /// <summary>Value equality, comparing the α bit patterns element by element.</summary>
    public bool Equals(BinaryFormat? other) =>
        other is not null && ChannelAxis == other.ChannelAxis
        && Alphas.Select(BitConverter.SingleToInt32Bits).SequenceEqual(other.Alphas.Select(BitConverter.SingleToInt32Bits));

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ChannelAxis);
        foreach (float a in Alphas)
            hash.Add(BitConverter.SingleToInt32Bits(a));
        return hash.ToHashCode();
    }

    /// <summary>Per tensor <c>{"kind": "binary", "alpha": α}</c>; per channel <c>{"kind": "binary", "alphas": [...], "axis": 0}</c>.</summary>
    public override JsonObject ToJson() => ChannelAxis is { } axis
        ? new() { ["kind"] = Kind, ["alphas"] = new JsonArray(Alphas.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()), ["axis"] = axis }
        : new() { ["kind"] = Kind, ["alpha"] = Alpha };

    /// <summary>Reads <see cref="ToJson"/>'s object.</summary>
    public static NumberFormat FromJson(JsonNode node) => node["alphas"] is JsonArray alphas
        ? new BinaryFormat(alphas.Select(a => a is null ? throw new RistrettoException("\"alphas\" holds a null") : (float)a), FormatRegistry.Int(node, "axis"))
        : new BinaryFormat(FormatRegistry.Float(node, "alpha"));

    /// <inheritdoc/>
    public override FormatArithmetic Arithmetic => FormatArithmetic.TwoLevel;

    /// <inheritdoc/>
    public override ScaleKind RequantScale => ScaleKind.Float;

    /// <summary>α: 32 bits per channel.</summary>
    public override long ScaleParameterBits => 32L * ChannelCount;

    /// <inheritdoc/>
    public override IEnumerable<double> GridValues(double lo, double hi) => new double[] { -Alpha, Alpha }.Where(v => v >= lo && v <= hi);

    /// <inheritdoc/>
    public override unsafe void Trim(float* src, float* dst, long count, long inner, Rounding rounding, ulong seed)
    {
        bool st = rounding == Rounding.Stochastic;
        var ops = Alphas.Select(a => new BinaryOp(a, st)).ToArray();
        FusedKernel.Run(src, dst, count, inner, ops, st, seed);
    }
}
