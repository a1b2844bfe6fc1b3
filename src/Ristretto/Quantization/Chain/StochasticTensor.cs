using Ristretto.Engine;
using Ristretto.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Quantization.Chain;

/// <summary>
/// <see cref="StochasticStream"/> with 64-bit integer tensor ops: 32-bit words live in int64 lanes and every
/// product stays below 2^63, so CPU and CUDA compute the same draws as the fused kernel and the scalar reference.
/// </summary>
internal static class StochasticTensor
{
    private const long Mask32 = 0xFFFFFFFFL;

    /// <summary>The 24-bit draws <c>k</c> (int64) for a tensor of <paramref name="shape"/>, by logical index.</summary>
    public static Tensor Draws(long[] shape, ulong seed, Device device)
    {
        using var scope = NewDisposeScope();
        var (k0, k1) = StochasticStream.Keys(seed);
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var index = Scalars.Range(n, ScalarType.Int64, device);
        var lo = index.bitwise_and(Const(Mask32, device));
        var x = Mix(lo.bitwise_xor(Const(k0, device)), device);
        if (n > Mask32)
        {
            var hi = index.bitwise_right_shift(Const(32, device));
            x = x.bitwise_xor(hi.Plus((long)k1).bitwise_and(Const(Mask32, device)));
        }
        else
        {
            x = x.bitwise_xor(Const(k1, device));
        }
        x = Mix(x, device).bitwise_right_shift(Const(8, device));
        return x.reshape(shape).MoveToOuterDisposeScope();
    }

    /// <summary><c>u = k · 2^-24</c> as float32 for a tensor of <paramref name="shape"/>.</summary>
    public static Tensor Uniform(long[] shape, ulong seed, Device device)
    {
        using var scope = NewDisposeScope();
        return Draws(shape, seed, device).to(ScalarType.Float32).Times(1.0 / (1 << 24)).MoveToOuterDisposeScope();
    }

    private static Tensor Mix(Tensor x, Device device)
    {
        var s16 = Const(16, device);
        var s15 = Const(15, device);
        var m = Const(Mask32, device);
        x = x.bitwise_xor(x.bitwise_right_shift(s16));
        x = x.Times((long)StochasticStream.Multiplier1).bitwise_and(m);
        x = x.bitwise_xor(x.bitwise_right_shift(s15));
        x = x.Times((long)StochasticStream.Multiplier2).bitwise_and(m);
        return x.bitwise_xor(x.bitwise_right_shift(s15));
    }

    private static Tensor Const(long value, Device device) => tensor(value, ScalarType.Int64, device);
}
