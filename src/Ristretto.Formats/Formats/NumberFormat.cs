using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// A number format of a simulated accelerator: an immutable, validated description of the values it can hold
/// and how a float32 value is rounded onto them. Building one with an impossible combination throws
/// <see cref="RistrettoException"/>. <see cref="Quantize"/> is the scalar double-precision reference (the
/// test oracle); the tensor implementation used by layers lives in <c>Ristretto.Quantization.Trimmer</c>
/// and must give the same bits.
/// </summary>
/// <remarks>
/// Inputs are float32 values (tensors hold float32): <see cref="Quantize"/> first rounds <c>x</c> to float32.
/// Every result is exactly representable in float32. A format is elementwise; a per-channel format applies
/// channel <c>c</c>'s parameters to the elements whose index along <see cref="ChannelAxis"/> is <c>c</c>.
/// </remarks>
public abstract record NumberFormat
{
    /// <summary>Bits per stored value, sign included (what a hardware cost model reads).</summary>
    public abstract int BitWidth { get; }

    /// <summary>Short name of the format family (e.g. "dfp", "minifloat").</summary>
    public abstract string Kind { get; }

    /// <summary>Tensor axis that selects per-channel parameters; null when the format is per-tensor.</summary>
    public virtual int? ChannelAxis => null;

    /// <summary>Number of parameter sets (1 for a per-tensor format).</summary>
    public virtual int ChannelCount => 1;

    /// <summary>
    /// The scalar reference: <paramref name="x"/> (rounded to float32 first) trimmed to this format.
    /// </summary>
    /// <param name="x">The value.</param>
    /// <param name="rounding">Nearest (half to even) or stochastic.</param>
    /// <param name="u">The uniform draw in [0, 1) used by stochastic rounding (see <see cref="StochasticStream"/>); ignored for nearest.</param>
    /// <param name="channel">The channel of the value for a per-channel format.</param>
    public abstract double Quantize(double x, Rounding rounding = Rounding.Nearest, double u = 0, int channel = 0);

    /// <summary>
    /// The interval of inputs the format does not saturate: a straight-through estimator passes the gradient
    /// for <c>Min ≤ x ≤ Max</c> and blocks it outside (and for NaN).
    /// </summary>
    public abstract (double Min, double Max) ClipRange(int channel = 0);

    /// <summary>The largest magnitude the format can hold (over all channels).</summary>
    public virtual double MaxMagnitude
    {
        get
        {
            double m = 0;
            for (int c = 0; c < ChannelCount; c++)
            {
                var (lo, hi) = ClipRange(c);
                m = Math.Max(m, Math.Max(Math.Abs(lo), Math.Abs(hi)));
            }
            return m;
        }
    }

    /// <summary>
    /// True when the format holds no negative value (an unsigned grid: the cost model prints it as <c>u8</c>, and an
    /// unsigned operand of b bits costs b bits in a mixed-sign multiplier). Default: read from <see cref="ClipRange"/>.
    /// </summary>
    public virtual bool Unsigned
    {
        get
        {
            for (int c = 0; c < ChannelCount; c++)
                if (ClipRange(c).Min < 0)
                    return false;
            return true;
        }
    }

    // ---- What the rest of the project asks of a format. A new format overrides these in its own file (docs/extending.md).

    /// <summary>
    /// The plan-file form of the format: an object with <c>"kind"</c> = <see cref="Kind"/> and its parameters. The type
    /// also declares <c>[FormatKind("…")]</c> and a <c>public static NumberFormat FromJson(JsonNode)</c> that reads it back
    /// (<see cref="FormatRegistry"/>).
    /// </summary>
    public abstract JsonObject ToJson();

    /// <summary>What the multipliers of a datapath built for this format are (the cost model's MAC kind).</summary>
    public abstract FormatArithmetic Arithmetic { get; }

    /// <summary>How a rescale by this format's step is done in integer hardware: a shift, a fixed-point multiply, a float multiply.</summary>
    public virtual ScaleKind RequantScale => ScaleKind.PowerOfTwo;

    /// <summary>Whether stored values carry a zero point (an offset the datapath subtracts).</summary>
    public virtual bool HasZeroPoint => false;

    /// <summary>Bits of scales and zero points stored beside the values (0 when the step is in the instruction).</summary>
    public virtual long ScaleParameterBits => 0;

    /// <summary>Bits of a fixed-point scale integer (only for <see cref="ScaleKind.FixedPoint"/> requantization).</summary>
    public virtual int FixedScaleBits => 0;

    /// <summary>Bits of the significand a multiplier sees (a minifloat's mantissa + 1; the width otherwise).</summary>
    public virtual int SignificandBits => BitWidth;

    /// <summary>Positions a shifter for this format spans (power-of-two weights: the exponent range); 0 otherwise.</summary>
    public virtual int ShiftPositions => 0;

    /// <summary>
    /// Accumulators a shift datapath for this format keeps (1; base-√2 log values: 2, the odd exponents' sum multiplied
    /// by √2 once per output).
    /// </summary>
    public virtual int ShiftAccumulators => 1;

    /// <summary>
    /// The format as an integer grid, <c>value = scale·(q − zero point)</c> with <c>QMin ≤ q ≤ QMax</c>, per channel along
    /// <see cref="ChannelAxis"/>; null when it is not one (minifloat, power of two, binary/ternary α). What the integer
    /// engine and quantized ONNX (QuantizeLinear/DequantizeLinear) read.
    /// </summary>
    public virtual AffineGrid? Affine => null;

    /// <summary>
    /// The magnitude <c>α</c> when the format is the two values <c>±α</c> with <c>x ≥ 0 → +α</c> (binary weights): what QONNX's
    /// <c>BipolarQuant</c> computes with scale α; null for every other format.
    /// </summary>
    public virtual double? BipolarScale => null;

    /// <summary>
    /// A grid of integer codes every value of the format lies on, <c>value = scale·(q − zero point)</c>, for an integer
    /// datapath: <see cref="Affine"/> where the format is one; power-of-two weights override it (multiples of the smallest
    /// power, which a shifter produces); null otherwise (minifloat, binary/ternary α). What the integer engine reads.
    /// </summary>
    public virtual AffineGrid? IntegerGrid => Affine;

    /// <summary>
    /// The representable values (channel 0) in [<paramref name="lo"/>, <paramref name="hi"/>], for charts; the caller stops
    /// enumerating once it has enough. The default refuses in one line.
    /// </summary>
    public virtual IEnumerable<double> GridValues(double lo, double hi) =>
        throw new RistrettoException($"no grid for {Kind} formats");

    /// <summary>
    /// Trims <paramref name="count"/> contiguous float32 values (laid out as [outer, channels, <paramref name="inner"/>]
    /// for a per-channel format) from <paramref name="src"/> into <paramref name="dst"/> (may alias). The default runs the
    /// scalar reference <see cref="Quantize"/> with the stochastic draw of element i being
    /// <see cref="StochasticStream.Uniform"/>(seed, i), so a new format is correct before it is fast; the built-in
    /// formats override it with the vectorised kernels, which give the same bits.
    /// </summary>
    public virtual unsafe void Trim(float* src, float* dst, long count, long inner, Rounding rounding, ulong seed)
    {
        int channels = ChannelCount;
        for (long i = 0; i < count; i++)
        {
            int channel = ChannelAxis is null ? 0 : (int)(i / inner % channels);
            double u = rounding == Rounding.Stochastic ? StochasticStream.Uniform(seed, i) : 0;
            dst[i] = (float)Quantize(src[i], rounding, u, channel);
        }
    }
}
