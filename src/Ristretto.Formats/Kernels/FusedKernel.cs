using System.Runtime.Intrinsics;

namespace Ristretto.Formats;

/// <summary>
/// The fused CPU trim: one pass over contiguous float32 memory, eight lanes at a time, chunks spread over
/// the thread pool. A tensor is seen as <c>[outer, channels, inner]</c>; channel <c>c</c> uses
/// <c>ops[c]</c>. The stochastic draw of an element depends only on the seed and its flat index, so the
/// split into chunks and threads does not change a single bit.
/// </summary>
internal static unsafe class FusedKernel
{
    /// <summary>Elements per parallel work item (a multiple of the vector width).</summary>
    internal const int ChunkSize = 1 << 16;

    /// <summary>Trims <paramref name="count"/> floats from <paramref name="src"/> into <paramref name="dst"/> (may alias).</summary>
    public static void Run<TOp>(float* src, float* dst, long count, long inner, TOp[] ops, bool stochastic, ulong seed)
        where TOp : struct, IElementOp
    {
        if (count == 0)
            return;
        var (k0, k1) = StochasticStream.Keys(seed);
        long chunks = (count + ChunkSize - 1) / ChunkSize;
        nint s = (nint)src, d = (nint)dst;
        if (chunks == 1)
        {
            RunRange((float*)s, (float*)d, 0, count, inner, ops, stochastic, k0, k1);
            return;
        }
        Parallel.For(0L, chunks, chunk =>
        {
            long start = chunk * ChunkSize;
            long end = Math.Min(count, start + ChunkSize);
            RunRange((float*)s, (float*)d, start, end, inner, ops, stochastic, k0, k1);
        });
    }

    private static void RunRange<TOp>(float* src, float* dst, long start, long end, long inner, TOp[] ops,
        bool stochastic, uint k0, uint k1) where TOp : struct, IElementOp
    {
        long pos = start;
        while (pos < end)
        {
            long block = pos / inner;
            long blockEnd = Math.Min(end, (block + 1) * inner);
            var op = ops[(int)(block % ops.Length)];
            RunSpan(src, dst, pos, blockEnd, op, stochastic, k0, k1);
            pos = blockEnd;
        }
    }

    private static void RunSpan<TOp>(float* src, float* dst, long start, long end, TOp op, bool stochastic, uint k0, uint k1)
        where TOp : struct, IElementOp
    {
        long i = start;
        var noDraws = Vector256<uint>.Zero;
        for (; i + 8 <= end; i += 8)
        {
            var k = stochastic ? VectorMath.Draws(i, k0, k1) : noDraws;
            Vector256.Store(op.Apply(Vector256.Load(src + i), k), dst + i);
        }
        if (i < end)
        {
            int n = (int)(end - i);
            float* tail = stackalloc float[8];
            for (int j = 0; j < 8; j++)
                tail[j] = j < n ? src[i + j] : 0f;
            var k = stochastic ? VectorMath.Draws(i, k0, k1) : noDraws;
            Vector256.Store(op.Apply(Vector256.Load(tail), k), tail);
            for (int j = 0; j < n; j++)
                dst[i + j] = tail[j];
        }
    }
}
