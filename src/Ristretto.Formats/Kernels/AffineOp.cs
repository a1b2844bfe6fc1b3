using System.Runtime.Intrinsics;

namespace Ristretto.Formats;

/// <summary>
/// Dynamic fixed point and the integer formats for one channel:
/// <c>v = x / s</c> (a multiply by <c>1/s</c> when <c>s</c> is a power of two, which is then exact),
/// <c>q = clamp(round(v) + z, qmin, qmax)</c>, NaN → <c>z</c>, result <c>(q - z) · s</c>.
/// </summary>
internal readonly struct AffineOp : IElementOp
{
    private readonly Vector256<float> _scale, _inverse, _zero, _qmin, _qmax;
    private readonly bool _multiply, _stochastic;

    public AffineOp(float scale, float zeroPoint, float qmin, float qmax, bool stochastic)
    {
        _scale = Vector256.Create(scale);
        _multiply = (BitConverter.SingleToInt32Bits(scale) & 0x7FFFFF) == 0 && float.IsNormal(1f / scale);
        _inverse = Vector256.Create(1f / scale);
        _zero = Vector256.Create(zeroPoint);
        _qmin = Vector256.Create(qmin);
        _qmax = Vector256.Create(qmax);
        _stochastic = stochastic;
    }

    public Vector256<float> Apply(Vector256<float> x, Vector256<uint> k)
    {
        var v = _multiply ? x * _inverse : x / _scale;
        var r = VectorMath.RoundToInteger(v, k, _stochastic);
        var q = Vector256.MinNative(Vector256.MaxNative(r + _zero, _qmin), _qmax);
        q = Vector256.ConditionalSelect(VectorMath.NotNaN(v), q, _zero);
        return (q - _zero) * _scale;
    }
}
