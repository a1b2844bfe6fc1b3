using System.Runtime.Intrinsics;

namespace Ristretto.Formats;

/// <summary>Ternary {-α, 0, α}: <c>|x| &gt; Δ</c> for nearest, <c>min(|x|/α, 1) ≥ 1 - u</c> for stochastic; NaN → +0.</summary>
internal readonly struct TernaryOp : IElementOp
{
    private readonly Vector256<float> _alpha, _threshold;
    private readonly bool _stochastic;

    public TernaryOp(float threshold, float alpha, bool stochastic)
    {
        _alpha = Vector256.Create(alpha);
        _threshold = Vector256.Create(threshold);
        _stochastic = stochastic;
    }

    public Vector256<float> Apply(Vector256<float> x, Vector256<uint> k)
    {
        var a = Vector256.Abs(x);
        var nonzero = _stochastic
            ? Vector256.GreaterThanOrEqual(Vector256.MinNative(a / _alpha, Vector256<float>.One), Vector256<float>.One - VectorMath.Uniform(k))
            : Vector256.GreaterThan(a, _threshold);
        nonzero &= VectorMath.NotNaN(x);
        var signed = (x.AsUInt32() & Vector256.Create(0x80000000u)).AsSingle() | _alpha;
        return nonzero & signed;
    }
}
