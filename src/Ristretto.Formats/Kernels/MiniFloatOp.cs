using System.Runtime.Intrinsics;

namespace Ristretto.Formats;

/// <summary>
/// Minifloat on the float32 bit pattern: the low <c>23 - m</c> mantissa bits are rounded away (a carry
/// propagates into the exponent field by itself), the result is capped at the largest value's pattern
/// (saturation, also after a carry and for ±Inf), inputs below <c>2^Emin</c> flush to a signed zero, NaN → +max.
/// </summary>
internal readonly struct MiniFloatOp : IElementOp
{
    private readonly uint _lowBits, _lowMask, _half, _minBits, _maxBits;
    private readonly int _mantissaBits;
    private readonly bool _stochastic;

    public MiniFloatOp(MiniFloat format, bool stochastic)
    {
        _mantissaBits = format.MantissaBits;
        _lowBits = (uint)(23 - format.MantissaBits);
        _lowMask = (1u << (int)_lowBits) - 1;
        _half = _lowBits == 0 ? 0 : (1u << (int)(_lowBits - 1)) - 1;
        _minBits = (uint)(format.MinExponent + 127) << 23;
        _maxBits = ((uint)(format.MaxExponent + 127) << 23) | (~_lowMask & 0x7FFFFFu);
        _stochastic = stochastic;
    }

    public Vector256<float> Apply(Vector256<float> x, Vector256<uint> k)
    {
        var bits = x.AsUInt32();
        var sign = bits & Vector256.Create(0x80000000u);
        var abs = bits & Vector256.Create(0x7FFFFFFFu);
        Vector256<uint> rounded;
        if (_stochastic)
        {
            var low = abs & Vector256.Create(_lowMask);
            var carry = ((low << (_mantissaBits + 1)) + k) >>> 24;
            rounded = (abs & Vector256.Create(~_lowMask)) + (carry << (int)_lowBits);
        }
        else
        {
            // Parity of the kept integer t = 2^m + top mantissa bits: its last mantissa bit, or always odd (t = 1) when m = 0.
            var odd = _mantissaBits == 0 ? Vector256<uint>.One : (abs >>> (int)_lowBits) & Vector256<uint>.One;
            var bias = _lowBits == 0 ? Vector256<uint>.Zero : Vector256.Create(_half) + odd;
            rounded = (abs + bias) & Vector256.Create(~_lowMask);
        }
        var mag = Vector256.Min(rounded, Vector256.Create(_maxBits));
        var flush = Vector256.LessThan(abs.AsInt32(), Vector256.Create((int)_minBits)).AsUInt32();
        mag = Vector256.AndNot(mag, flush);
        var isNaN = Vector256.GreaterThan(abs.AsInt32(), Vector256.Create(0x7F800000)).AsUInt32();
        var result = Vector256.ConditionalSelect(isNaN, Vector256.Create(_maxBits), sign | mag);
        return result.AsSingle();
    }
}
