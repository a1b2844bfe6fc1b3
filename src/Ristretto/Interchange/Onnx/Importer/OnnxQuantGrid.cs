using Ristretto.Formats;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>
/// What a quantize-dequantize in an ONNX model says, before it is known which tensor of which layer it belongs to: codes of
/// <see cref="Bits"/> bits (signed, narrow), <c>value = scale·(q − zero point)</c> per tensor or per channel along
/// <see cref="Axis"/> of the quantized tensor; or QONNX's bipolar ±scale (<see cref="Bipolar"/>).
/// </summary>
internal sealed record OnnxQuantGrid(int Bits, bool Signed, bool Narrow, float[] Scales, int[] Zeros, int? Axis, bool Bipolar = false)
{
    /// <summary>The widest codes a plan's formats hold (wider ones, an int32 bias, stay float).</summary>
    public const int MaxBits = 24;

    /// <summary>
    /// The format: ±α binary for a bipolar quantizer; dynamic fixed point for a per-tensor power-of-two scale with zero point
    /// 0 (what --qformat writes for DFP); else an integer format (power-of-two scale kind when every scale is one). Null
    /// when the codes are wider than <see cref="MaxBits"/>. <paramref name="axis"/> overrides the channel axis (a weight
    /// transposed on import).
    /// </summary>
    public NumberFormat? ToFormat(int? axis = null)
    {
        if (Bipolar)
            return new BinaryFormat(Scales[0]);
        if (Bits > MaxBits)
            return null;
        bool pow2 = Scales.All(s => (BitConverter.SingleToInt32Bits(s) & 0x7FFFFF) == 0);
        if (Axis is null && Zeros[0] == 0 && !Narrow && pow2)
            return new DynamicFixedPoint(Bits, -Math.ILogB(Scales[0]), Signed);
        return new IntegerFormat(Bits, Signed, Scales, Zeros, Axis is null ? null : axis ?? Axis, Narrow,
            pow2 ? ScaleKind.PowerOfTwo : ScaleKind.Float);
    }

    /// <summary>Same scales, zero points, axis and kind (the code range may differ: a container type).</summary>
    public bool SameSteps(OnnxQuantGrid other) =>
        Bipolar == other.Bipolar && Axis == other.Axis && Scales.SequenceEqual(other.Scales) && Zeros.SequenceEqual(other.Zeros);

    /// <summary>Same grid: same steps and the same code range.</summary>
    public bool SameGrid(OnnxQuantGrid other) => SameSteps(other) && Bits == other.Bits && Signed == other.Signed && Narrow == other.Narrow;

    /// <summary>Whether <paramref name="format"/> is this grid (its codes' range too, unless <paramref name="stored"/>: codes written out need only fit).</summary>
    public bool Matches(NumberFormat format, bool stored)
    {
        if (Bipolar)
            return format.BipolarScale == Scales[0];
        if (format.Affine is not { } g || g.Scales.Count != Scales.Length)
            return false;
        for (int c = 0; c < Scales.Length; c++)
            if (g.Scales[c] != Scales[c] || g.ZeroPoints[c] != Zeros[c])
                return false;
        var (min, max) = Range;
        return stored ? g.QMin >= min && g.QMax <= max : g.QMin == min && g.QMax == max;
    }

    /// <summary>The codes' range.</summary>
    public (long Min, long Max) Range =>
        Signed ? (-(1L << (Bits - 1)) + (Narrow ? 1 : 0), (1L << (Bits - 1)) - 1) : (0, (1L << Bits) - 1);
}
