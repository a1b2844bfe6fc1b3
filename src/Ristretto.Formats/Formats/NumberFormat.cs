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
}
