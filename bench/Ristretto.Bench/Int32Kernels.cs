using System.Numerics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// The alternative to the engine's multiply-accumulate that was measured and not kept: int32 codes and int32
/// accumulators in C# SIMD (<see cref="Vector{T}"/> over spans), a convolution as im2col (libtorch's unfold) then row
/// dot products. The engine runs libtorch's float32 kernels on the same integer values (exact below 2^24).
/// </summary>
internal static class Int32Kernels
{
    /// <summary>y[m, n] = Σ_k a[m, k]·b[n, k], all int32 (the caller keeps the sums below 2^31).</summary>
    public static void Gemm(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> y, int rows, int columns, int depth)
    {
        int width = Vector<int>.Count;
        int whole = depth / width * width;
        for (int m = 0; m < rows; m++)
        {
            var row = a.Slice(m * depth, depth);
            for (int n = 0; n < columns; n++)
            {
                var col = b.Slice(n * depth, depth);
                var sum = Vector<int>.Zero;
                int k = 0;
                for (; k < whole; k += width)
                    sum += new Vector<int>(row[k..]) * new Vector<int>(col[k..]);
                int total = Vector.Sum(sum);
                for (; k < depth; k++)
                    total += row[k] * col[k];
                y[m * columns + n] = total;
            }
        }
    }

    /// <summary>x [N, K] int32 times weights [O, K] int32: [N, O] int32.</summary>
    public static Tensor Linear(Tensor x, Tensor weights)
    {
        var y = empty([x.shape[0], weights.shape[0]], ScalarType.Int32);
        Gemm(MemoryMarshal.Cast<byte, int>(x.bytes), MemoryMarshal.Cast<byte, int>(weights.bytes), MemoryMarshal.Cast<byte, int>(y.bytes),
            (int)x.shape[0], (int)weights.shape[0], (int)x.shape[1]);
        return y;
    }

    /// <summary>A stride-1 unpadded convolution of int32 codes x [N, C, H, W] with int32 weights [O, C·kh·kw]: [N, O, H', W'] int32.</summary>
    public static Tensor Conv(Tensor x, Tensor weights, long kh, long kw)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], ho = x.shape[2] - kh + 1, wo = x.shape[3] - kw + 1;
        // im2col on the float kernel (libtorch's unfold has no integer one), rows per output position.
        var columns = nn.functional.unfold(x.to(ScalarType.Float32), (kh, kw)).transpose(1, 2).reshape(n * ho * wo, -1).to(ScalarType.Int32).contiguous();
        var y = Linear(columns, weights);
        return y.reshape(n, ho * wo, -1).transpose(1, 2).reshape(n, -1, ho, wo).contiguous().MoveToOuterDisposeScope();
    }
}
