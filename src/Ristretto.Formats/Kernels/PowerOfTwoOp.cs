using System.Runtime.Intrinsics;

namespace Ristretto.Formats;

/// <summary>
/// Power of two on the float32 bit pattern: the exponent field is kept and incremented when the mantissa
/// reaches √2 (nearest, log domain) or when <c>f + u ≥ 1</c> (stochastic, <c>f</c> the mantissa fraction);
/// capped at <c>2^Emax</c>. Below <c>2^Emin</c> the linear grid {0, 2^Emin} (or the clamp) applies.
/// </summary>
internal readonly struct PowerOfTwoOp : IElementOp
{
    /// <summary>Mantissa field of the smallest float32 above √2: fields at or above it round up.</summary>
    internal static readonly uint SqrtTwoMantissa = BitConverter.SingleToUInt32Bits(SqrtTwoCeiling) & 0x7FFFFF;

    /// <summary>The smallest float32 ≥ √2 (√2 is irrational, so it is strictly above).</summary>
    internal static float SqrtTwoCeiling
    {
        get
        {
            float f = (float)Math.Sqrt(2);
            return f > Math.Sqrt(2) ? f : MathF.BitIncrement(f);
        }
    }

    private readonly uint _minBits, _maxBits;
    private readonly float _inverseMin;
    private readonly bool _zero, _stochastic;

    public PowerOfTwoOp(PowerOfTwo format, bool stochastic)
    {
        _minBits = (uint)(format.MinExponent + 127) << 23;
        _maxBits = (uint)(format.MaxExponent + 127) << 23;
        _inverseMin = (float)Math.ScaleB(1.0, -format.MinExponent);
        _zero = format.ZeroRepresentable;
        _stochastic = stochastic;
    }

    public Vector256<float> Apply(Vector256<float> x, Vector256<uint> k)
    {
        var bits = x.AsUInt32();
        var sign = bits & Vector256.Create(0x80000000u);
        var abs = bits & Vector256.Create(0x7FFFFFFFu);
        var mantissa = abs & Vector256.Create(0x7FFFFFu);
        Vector256<uint> up;
        Vector256<uint> upSmall;
        if (_stochastic)
        {
            up = Vector256.GreaterThanOrEqual(((mantissa << 1) + k).AsInt32(), Vector256.Create(1 << 24)).AsUInt32();
            var t = Vector256.Abs(x) * Vector256.Create(_inverseMin);
            upSmall = Vector256.GreaterThanOrEqual(t, Vector256<float>.One - VectorMath.Uniform(k)).AsUInt32();
        }
        else
        {
            up = Vector256.GreaterThanOrEqual(mantissa.AsInt32(), Vector256.Create((int)SqrtTwoMantissa)).AsUInt32();
            var t = Vector256.Abs(x) * Vector256.Create(_inverseMin);
            upSmall = Vector256.GreaterThan(t, Vector256.Create(0.5f)).AsUInt32();
        }
        var big = (abs & Vector256.Create(0x7F800000u)) + (up & Vector256.Create(1u << 23));
        big = Vector256.Min(big, Vector256.Create(_maxBits));
        var small = _zero ? upSmall & Vector256.Create(_minBits) : Vector256.Create(_minBits);
        var isSmall = Vector256.LessThan(abs.AsInt32(), Vector256.Create((int)_minBits)).AsUInt32();
        var mag = Vector256.ConditionalSelect(isSmall, small, big);
        var isNaN = Vector256.GreaterThan(abs.AsInt32(), Vector256.Create(0x7F800000)).AsUInt32();
        var nan = _zero ? Vector256<uint>.Zero : Vector256.Create(_minBits);
        return Vector256.ConditionalSelect(isNaN, nan, sign | mag).AsSingle();
    }
}
