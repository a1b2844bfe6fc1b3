using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// Ternary values <c>{-α, 0, +α}</c> (TWN), 2 bits. Nearest: <c>|x| &gt; Δ → sign(x)·α</c>, otherwise +0;
/// NaN gives +0. Stochastic ignores Δ: the magnitude becomes α with probability <c>t = min(|x|/α, 1)</c>
/// (<c>floor(t + u)</c>), so the expectation is <c>x</c> inside <c>[-α, α]</c>; <c>|x|/α</c> is a float32 division.
/// </summary>
[FormatKind("ternary")]
public sealed record TernaryFormat : NumberFormat
{
    /// <summary>Creates the format; needs <c>0 ≤ Δ &lt; α</c>, α a positive normal float32.</summary>
    public TernaryFormat(float threshold, float alpha)
    {
        Guard.Check(Guard.IsPositiveNormalFloat(alpha), $"alpha must be a positive normal float32, got {alpha}");
        Guard.Check(threshold >= 0 && threshold < alpha, $"threshold must be in [0, alpha = {alpha}), got {threshold}");
        Threshold = threshold;
        Alpha = alpha;
    }

    /// <summary>Threshold Δ: magnitudes up to Δ become 0 (nearest).</summary>
    public float Threshold { get; }

    /// <summary>The magnitude α of the nonzero codes.</summary>
    public float Alpha { get; }

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
        Guard.Check(w.Count > 0, "ternary calibration needs at least one weight");
        float delta = (float)(0.7 * w.Average(v => Math.Abs((double)v)));
        var above = w.Where(v => Math.Abs(v) > delta).Select(v => Math.Abs((double)v)).ToList();
        float alpha = above.Count > 0 ? (float)above.Average() : 2 * delta;
        if (!(alpha > delta))
            alpha = MathF.BitIncrement(delta);
        return new TernaryFormat(delta, Math.Max(alpha, 1.17549435e-38f));
    }

    /// <inheritdoc />
    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
    {
        double xf = ScalarMath.F32(x);
        if (double.IsNaN(xf))
            return 0.0;
        double a = Math.Abs(xf);
        bool nonzero = rounding == Rounding.Nearest
            ? a > Threshold
            : Math.Floor(Math.Min(ScalarMath.F32(a / Alpha), 1) + u) >= 1;
        return nonzero ? Math.CopySign(Alpha, xf) : 0.0;
    }

    /// <inheritdoc />
    public override (double Min, double Max) ClipRange(int channel = 0) => (-Alpha, Alpha);

    /// <inheritdoc />
    public override string ToString() => $"ternary(threshold={Threshold}, alpha={Alpha})";

    /// <inheritdoc/>
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["threshold"] = Threshold, ["alpha"] = Alpha };

    /// <summary>Reads <see cref="ToJson"/>'s object.</summary>
    public static NumberFormat FromJson(JsonNode node) => new TernaryFormat(FormatRegistry.Float(node, "threshold"), FormatRegistry.Float(node, "alpha"));

    /// <inheritdoc/>
    public override FormatArithmetic Arithmetic => FormatArithmetic.TwoLevel;

    /// <inheritdoc/>
    public override ScaleKind RequantScale => ScaleKind.Float;

    /// <summary>α: 32 bits.</summary>
    public override long ScaleParameterBits => 32;

    /// <inheritdoc/>
    public override IEnumerable<double> GridValues(double lo, double hi) => new double[] { -Alpha, 0, Alpha }.Where(v => v >= lo && v <= hi);

    /// <inheritdoc/>
    public override unsafe void Trim(float* src, float* dst, long count, long inner, Rounding rounding, ulong seed)
    {
        bool st = rounding == Rounding.Stochastic;
        FusedKernel.Run(src, dst, count, inner, [new TernaryOp(this, st)], st, seed);
    }
}
