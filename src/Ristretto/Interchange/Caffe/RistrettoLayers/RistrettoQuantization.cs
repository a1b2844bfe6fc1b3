using Ristretto.Formats;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Writer;
using Ristretto.Quantization;

namespace Ristretto.Interchange.Caffe.RistrettoLayers;

/// <summary>
/// Converts between a <see cref="LayerQuantization"/> and Ristretto's <c>quantization_param</c>. A part left
/// in float32 is written with 32 bits and read back as float32 (no dynamic-fixed-point format has more
/// than 24 bits). In power-of-two mode the bias, which Ristretto kept in float and has no field for, is
/// 8-bit dynamic fixed point fitted to the bias's largest magnitude, on export and import alike. The unsigned dynamic
/// fixed point (this project's default for non-negative tensors) has no field in <c>QuantizationParameter</c>, and a
/// bias in a format of its own none either: both are refused in one line naming the layer (<c>quantize --compat
/// ristretto</c> makes plans that Ristretto's prototxt holds).
/// </summary>
internal static class RistrettoQuantization
{
    private const uint FloatBits = CaffeExport.FloatBits;

    public static QuantizationParameter ToProto(LayerQuantization spec, string layer)
    {
        var q = new QuantizationParameter { RoundingScheme = RoundingOf(spec.Rounding) };
        switch (spec.Weights)
        {
            case MiniFloat m:
                if (!Same(spec.Input, m) || !Same(spec.Output, m) || !Same(spec.Bias, m))
                    throw new RistrettoException($"layer '{layer}': Ristretto's minifloat layers use one format for weights, bias and activations");
                return WithMiniFloat(q, m);
            case PowerOfTwo p:
                q.Precision = QuantizationParameter.Types.Precision.IntegerPowerOf2Weights;
                q.ExpMin = p.MinExponent;
                q.ExpMax = p.MaxExponent;
                break;
            case DynamicFixedPoint { Signed: false }:
                throw Unsigned(layer, "weights");
            case DynamicFixedPoint w:
                q.Precision = QuantizationParameter.Types.Precision.DynamicFixedPoint;
                q.BwParams = (uint)w.BitWidth;
                q.FlParams = w.FractionalLength;
                if (spec.Bias is not null && !Equals(spec.Bias, w))
                    throw new RistrettoException($"layer '{layer}': Ristretto's fixed-point layers share one format for weights and bias, but this plan gives the bias {spec.Bias} and the weights {w} (quantize --compat ristretto makes plans Ristretto's prototxt holds)");
                break;
            case null:
                q.Precision = QuantizationParameter.Types.Precision.DynamicFixedPoint;
                q.BwParams = FloatBits;
                break;
            default:
                throw new RistrettoException($"layer '{layer}': {spec.Weights.Kind} weights have no Ristretto precision");
        }
        (q.BwLayerIn, q.FlLayerIn) = Activation(spec.Input, layer, "input");
        (q.BwLayerOut, q.FlLayerOut) = Activation(spec.Output, layer, "output");
        return q;
    }

    /// <summary>
    /// An LRN's spec as <c>LRNRistretto</c>'s parameter: one minifloat for input, intermediates and output, which is
    /// all Ristretto's layer holds (an input trim to another format has no field, so it is refused).
    /// </summary>
    public static QuantizationParameter LrnToProto(LayerQuantization spec, string layer)
    {
        if (spec.Output is not MiniFloat m || spec.Weights is not null || spec.Bias is not null || !Same(spec.Input, m))
            throw new RistrettoException($"layer '{layer}': Ristretto's LRNRistretto computes in one minifloat format (input, intermediates and output), which this plan entry is not");
        return WithMiniFloat(new QuantizationParameter { RoundingScheme = RoundingOf(spec.Rounding) }, m);
    }

    /// <summary>The spec of an imported <c>LRNRistretto</c>: minifloat only, as in Ristretto.</summary>
    public static LayerQuantization LrnFromProto(QuantizationParameter q)
    {
        if (q.Precision != QuantizationParameter.Types.Precision.Minifloat)
            throw new RistrettoException("LRNRistretto computes in minifloat only (as in Ristretto), but precision is " +
                (q.Precision == QuantizationParameter.Types.Precision.DynamicFixedPoint ? "DYNAMIC_FIXED_POINT" : "INTEGER_POWER_OF_2_WEIGHTS"));
        var m = MiniFloatOf(q);
        return new LayerQuantization(Input: m, Output: m, Rounding: RoundingOf(q));
    }

    public static LayerQuantization FromProto(QuantizationParameter q, double biasMaxAbs)
    {
        var rounding = RoundingOf(q);
        switch (q.Precision)
        {
            case QuantizationParameter.Types.Precision.Minifloat:
                var m = MiniFloatOf(q);
                return new LayerQuantization(m, m, m, m, rounding);
            case QuantizationParameter.Types.Precision.IntegerPowerOf2Weights:
                return new LayerQuantization(new PowerOfTwo(q.ExpMin, q.ExpMax),
                    DynamicFixedPoint.FromMaxAbs(8, biasMaxAbs, isWeights: true),
                    Dfp(q.BwLayerIn, q.FlLayerIn), Dfp(q.BwLayerOut, q.FlLayerOut), rounding);
            default:
                var w = Dfp(q.BwParams, q.FlParams);
                return new LayerQuantization(w, w, Dfp(q.BwLayerIn, q.FlLayerIn), Dfp(q.BwLayerOut, q.FlLayerOut), rounding);
        }
    }

    private static QuantizationParameter.Types.Rounding RoundingOf(Rounding rounding) =>
        rounding == Rounding.Nearest ? QuantizationParameter.Types.Rounding.Nearest : QuantizationParameter.Types.Rounding.Stochastic;

    private static Rounding RoundingOf(QuantizationParameter q) =>
        q.RoundingScheme == QuantizationParameter.Types.Rounding.Stochastic ? Rounding.Stochastic : Rounding.Nearest;

    private static QuantizationParameter WithMiniFloat(QuantizationParameter q, MiniFloat m)
    {
        q.Precision = QuantizationParameter.Types.Precision.Minifloat;
        q.MantBits = (uint)m.MantissaBits;
        q.ExpBits = (uint)m.ExponentBits;
        return q;
    }

    private static MiniFloat MiniFloatOf(QuantizationParameter q) => new((int)q.ExpBits, (int)q.MantBits);

    private static DynamicFixedPoint? Dfp(uint bits, int fl) => bits >= FloatBits ? null : new DynamicFixedPoint((int)bits, fl);

    private static (uint Bits, int Fl) Activation(NumberFormat? format, string layer, string part) => format switch
    {
        null => (FloatBits, 0),
        DynamicFixedPoint { Signed: false } => throw Unsigned(layer, part),
        DynamicFixedPoint d => ((uint)d.BitWidth, d.FractionalLength),
        _ => throw new RistrettoException($"layer '{layer}': Ristretto stores activations as dynamic fixed point, not {format.Kind}"),
    };

    private static RistrettoException Unsigned(string layer, string part) =>
        new($"layer '{layer}': its {part} is unsigned dynamic fixed point, which Ristretto's QuantizationParameter has no field for (quantize --compat ristretto makes plans Ristretto's prototxt holds; the plan JSON keeps unsigned formats)");

    private static bool Same(NumberFormat? a, NumberFormat b) => a is null || Equals(a, b);
}
