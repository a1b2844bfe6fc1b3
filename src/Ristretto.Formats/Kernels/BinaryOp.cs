using System.Runtime.Intrinsics;

namespace Ristretto.Formats;

/// <summary>Binary ±α: sign for nearest; +α when <c>(clamp(x/α, -1, 1) + 1) · 0.5 ≥ 1 - u</c> for stochastic; NaN → +α.</summary>
internal readonly struct BinaryOp : IElementOp
{
    private readonly Vector256<float> _alpha;
    private readonly bool _stochastic;

    public BinaryOp(float alpha, bool stochastic)
    {
        _alpha = Vector256.Create(alpha);
        _stochastic = stochastic;
    }

    public Vector256<float> Apply(Vector256<float> x, Vector256<uint> k)
    {
        Vector256<float> minus;
        if (_stochastic)
        {
            var w = Vector256.MinNative(Vector256.MaxNative(x / _alpha, -Vector256<float>.One), Vector256<float>.One);
            var t = (w + Vector256<float>.One) * Vector256.Create(0.5f);
            minus = Vector256.LessThan(t, Vector256<float>.One - VectorMath.Uniform(k));
        }
        else
        {
            minus = Vector256.LessThan(x, Vector256<float>.Zero);
        }
        minus &= VectorMath.NotNaN(x);
        return Vector256.ConditionalSelect(minus, -_alpha, _alpha);
    }
}
