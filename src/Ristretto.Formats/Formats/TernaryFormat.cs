using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// Ternary values <c>{-α, 0, +α}</c> (TWN), 2 bits; one (Δ, α) for the tensor, or one per channel along
/// <see cref="ChannelAxis"/>. Nearest: <c>|x| &gt; Δ → sign(x)·α</c>, otherwise +0;
/// NaN gives +0. Stochastic ignores Δ: the magnitude becomes α with probability <c>t = min(|x|/α, 1)</c>
/// (<c>floor(t + u)</c>), so the expectation is <c>x</c> inside <c>[-α, α]</c>; <c>|x|/α</c> is a float32 division.
/// </summary>
[FormatKind("ternary")]
public sealed record TernaryFormat : NumberFormat
{
    /// <summary>Creates the format; needs <c>0 ≤ Δ &lt; α</c>, α a positive normal float32.</summary>
    public TernaryFormat(float threshold, float alpha) : this([threshold], [alpha], null)
    {
    }

    /// <summary>A per-channel format when <paramref name="channelAxis"/> is given: channel <c>c</c> has Δ = thresholds[c], α = alphas[c].</summary>
    public TernaryFormat(IEnumerable<float> thresholds, IEnumerable<float> alphas, int? channelAxis)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        ArgumentNullException.ThrowIfNull(alphas);
        var t = thresholds.ToImmutableArray();
        var a = alphas.ToImmutableArray();
        Guard.Check(a.Length >= 1 && a.Length == t.Length, $"a ternary format needs as many thresholds as alphas (at least one), got {t.Length} and {a.Length}");
        Guard.Check(a.Length == 1 || channelAxis is not null, $"{a.Length} per-channel alphas need a channel axis");
        Guard.Check(channelAxis is null or >= 0, $"channel axis must be ≥ 0, got {channelAxis}");
        for (int c = 0; c < a.Length; c++)
        {
            Guard.Check(Guard.IsPositiveNormalFloat(a[c]), $"alpha must be a positive normal float32, got {a[c]}");
            Guard.Check(t[c] >= 0 && t[c] < a[c], $"threshold must be in [0, alpha = {a[c]}), got {t[c]}");
        }
        Thresholds = t;
        Alphas = a;
        ChannelAxis = channelAxis;
    }

    /// <summary>Threshold Δ: magnitudes up to Δ become 0 (nearest); channel 0's for a per-channel format.</summary>
    public float Threshold => Thresholds[0];

    /// <summary>The magnitude α of the nonzero codes; channel 0's for a per-channel format.</summary>
    public float Alpha => Alphas[0];

    /// <summary>Δ per channel (one for a per-tensor format).</summary>
    public ImmutableArray<float> Thresholds { get; }

    /// <summary>α per channel (one for a per-tensor format).</summary>
    public ImmutableArray<float> Alphas { get; }

    /// <inheritdoc />
    public override int? ChannelAxis { get; }

    /// <inheritdoc />
    public override int ChannelCount => Alphas.Length;

    /// <inheritdoc />
    public override int BitWidth => 2;

    /// <inheritdoc />
    public override string Kind => "ternary";

    /// <summary>
    /// TWN's choice for weights <paramref name="w"/>: <c>Δ = 0.7 · mean|w|</c>, α the mean magnitude of the
    /// weights above Δ (or 2Δ when none is).
    /// </summary>
    public static TernaryFormat FromWeights(IReadOnlyCollection<float> w)
    {
        var (delta, alpha) = Twn(w);
        return new TernaryFormat(delta, alpha);
    }

    /// <summary>TWN's rule for each row (output channel, axis 0) of <paramref name="rows"/>.</summary>
    public static TernaryFormat PerChannelFromWeights(IEnumerable<IReadOnlyCollection<float>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var pairs = rows.Select(Twn).ToList();
        return pairs.Count == 1 ? new TernaryFormat(pairs[0].Delta, pairs[0].Alpha)
            : new TernaryFormat(pairs.Select(p => p.Delta), pairs.Select(p => p.Alpha), 0);
    }

    private static (float Delta, float Alpha) Twn(IReadOnlyCollection<float> w)
    {
        Guard.Check(w.Count > 0, "ternary calibration needs at least one weight");
        float delta = (float)(0.7 * w.Average(v => Math.Abs((double)v)));
        var above = w.Where(v => Math.Abs(v) > delta).Select(v => Math.Abs((double)v)).ToList();
        float alpha = above.Count > 0 ? (float)above.Average() : 2 * delta;
        if (!(alpha > delta))
            alpha = MathF.BitIncrement(delta);
        return (delta, Math.Max(alpha, 1.17549435e-38f));
    }

    /// <inheritdoc />
    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
    {
        float alpha = Alphas[channel];
        double xf = ScalarMath.F32(x);
        if (double.IsNaN(xf))
            return 0.0;
        double a = Math.Abs(xf);
        bool nonzero = rounding == Rounding.Nearest
            ? a > Thresholds[channel]
            : Math.Floor(Math.Min(ScalarMath.F32(a / alpha), 1) + u) >= 1;
        return nonzero ? Math.CopySign(alpha, xf) : 0.0;
    }

    /// <inheritdoc />
    public override (double Min, double Max) ClipRange(int channel = 0) => (-Alphas[channel], Alphas[channel]);

    /// <inheritdoc />
    public override string ToString() => ChannelAxis is { } axis
        ? $"ternary(per-channel axis {axis} ×{ChannelCount})"
        : $"ternary(threshold={Threshold}, alpha={Alpha})";

    /// <summary>Value equality, comparing Δ and α bit patterns element by element.</summary>
    public bool Equals(TernaryFormat? other) =>
        other is not null && ChannelAxis == other.ChannelAxis
        && Alphas.Select(BitConverter.SingleToInt32Bits).SequenceEqual(other.Alphas.Select(BitConverter.SingleToInt32Bits))
        && Thresholds.Select(BitConverter.SingleToInt32Bits).SequenceEqual(other.Thresholds.Select(BitConverter.SingleToInt32Bits));

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ChannelAxis);
        foreach (float a in Alphas)
            hash.Add(BitConverter.SingleToInt32Bits(a));
        foreach (float t in Thresholds)
            hash.Add(BitConverter.SingleToInt32Bits(t));
        return hash.ToHashCode();
    }

    /// <summary>
    /// Per tensor <c>{"kind": "ternary", "threshold": Δ, "alpha": α}</c>; per channel
    /// <c>{"kind": "ternary", "thresholds": [...], "alphas": [...], "axis": 0}</c>.
    /// </summary>
    public override JsonObject ToJson() => ChannelAxis is { } axis
        ? new() { ["kind"] = Kind, ["thresholds"] = Array(Thresholds), ["alphas"] = Array(Alphas), ["axis"] = axis }
        : new() { ["kind"] = Kind, ["threshold"] = Threshold, ["alpha"] = Alpha };

    private static JsonArray Array(ImmutableArray<float> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    /// <summary>Reads <see cref="ToJson"/>'s object.</summary>
    public static NumberFormat FromJson(JsonNode node)
    {
        if (node["alphas"] is not JsonArray alphas)
            return new TernaryFormat(FormatRegistry.Float(node, "threshold"), FormatRegistry.Float(node, "alpha"));
        if (node["thresholds"] is not JsonArray thresholds)
            throw new RistrettoException("missing \"thresholds\"");
        static float Value(JsonNode? n) => n is null ? throw new RistrettoException("a per-channel ternary format holds a null") : (float)n;
        return new TernaryFormat(thresholds.Select(Value), alphas.Select(Value), FormatRegistry.Int(node, "axis"));
    }

    /// <inheritdoc/>
    public override FormatArithmetic Arithmetic => FormatArithmetic.TwoLevel;

    /// <inheritdoc/>
    public override ScaleKind RequantScale => ScaleKind.Float;

    /// <summary>α: 32 bits per channel.</summary>
    public override long ScaleParameterBits => 32L * ChannelCount;

    /// <inheritdoc/>
    public override IEnumerable<double> GridValues(double lo, double hi) => new double[] { -Alpha, 0, Alpha }.Where(v => v >= lo && v <= hi);

    /// <inheritdoc/>
    public override unsafe void Trim(float* src, float* dst, long count, long inner, Rounding rounding, ulong seed)
    {
        bool st = rounding == Rounding.Stochastic;
        var ops = Enumerable.Range(0, ChannelCount).Select(c => new TernaryOp(Thresholds[c], Alphas[c], st)).ToArray();
        FusedKernel.Run(src, dst, count, inner, ops, st, seed);
    }
}
