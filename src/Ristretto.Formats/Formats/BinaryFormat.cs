using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// Binary values <c>±α</c> (BinaryConnect / XNOR-Net weights), 1 bit.
/// Nearest: <c>x ≥ 0 → +α</c> (so ±0 give +α), <c>x &lt; 0 → -α</c>; NaN gives +α.
/// Stochastic: +α with probability <c>t = (clamp(x/α, -1, 1) + 1) / 2</c> (hard sigmoid), i.e.
/// <c>floor(t + u)</c> picks the code, so the expectation is <c>x</c> inside <c>[-α, α]</c>;
/// <c>x/α</c> and <c>+ 1</c> are float32 operations.
/// </summary>
[FormatKind("binary")]
public sealed record BinaryFormat : NumberFormat
{
    /// <summary>Creates the format; <paramref name="alpha"/> must be a positive normal float32.</summary>
    public BinaryFormat(float alpha)
    {
        Guard.Check(Guard.IsPositiveNormalFloat(alpha), $"alpha must be a positive normal float32, got {alpha}");
        Alpha = alpha;
    }

    /// <summary>The magnitude α of both codes.</summary>
    public float Alpha { get; }

    /// <inheritdoc />
    public override int BitWidth => 1;

    /// <inheritdoc />
    public override string Kind => "binary";

    /// <summary>XNOR-Net's α for weights <paramref name="w"/>: the mean magnitude.</summary>
    public static BinaryFormat FromMeanAbs(IEnumerable<float> w)
    {
        double mean = w.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Average();
        return new BinaryFormat((float)mean);
    }

    /// <inheritdoc />
    public override double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0)
    {
        double xf = ScalarMath.F32(x);
        if (double.IsNaN(xf))
            return Alpha;
        if (rounding == Rounding.Nearest)
            return xf < 0 ? -Alpha : Alpha;
        double w = Math.Clamp(ScalarMath.F32(xf / Alpha), -1, 1);
        double t = ScalarMath.F32(w + 1) * 0.5;
        return Math.Floor(t + u) >= 1 ? Alpha : -Alpha;
    }

    /// <inheritdoc />
    public override double? BipolarScale => Alpha;

    /// <inheritdoc />
    public override (double Min, double Max) ClipRange(int channel = 0) => (-Alpha, Alpha);

    /// <inheritdoc />
    public override string ToString() => $"binary(alpha={Alpha})";

    /// <inheritdoc/>
    public override JsonObject ToJson() => new() { ["kind"] = Kind, ["alpha"] = Alpha };

    /// <summary>Reads <see cref="ToJson"/>'s object.</summary>
    public static NumberFormat FromJson(JsonNode node) => new BinaryFormat(FormatRegistry.Float(node, "alpha"));

    /// <inheritdoc/>
    public override FormatArithmetic Arithmetic => FormatArithmetic.TwoLevel;

    /// <inheritdoc/>
    public override ScaleKind RequantScale => ScaleKind.Float;

    /// <summary>α: 32 bits.</summary>
    public override long ScaleParameterBits => 32;

    /// <inheritdoc/>
    public override IEnumerable<double> GridValues(double lo, double hi) => new double[] { -Alpha, Alpha }.Where(v => v >= lo && v <= hi);

    /// <inheritdoc/>
    public override unsafe void Trim(float* src, float* dst, long count, long inner, Rounding rounding, ulong seed)
    {
        bool st = rounding == Rounding.Stochastic;
        FusedKernel.Run(src, dst, count, inner, [new BinaryOp(this, st)], st, seed);
    }
}
