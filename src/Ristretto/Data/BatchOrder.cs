using Ristretto.Engine;

namespace Ristretto.Data;

/// <summary>
/// The order in which training samples are visited: one seeded permutation per epoch, batches cut from
/// the concatenated stream. Batch <c>t</c> depends only on (seed, t), so a resumed run sees exactly the
/// batches an uninterrupted one would.
/// </summary>
public sealed class BatchOrder
{
    private readonly int _count;
    private readonly ulong _seed;
    private readonly bool _shuffle;
    private int _epoch = -1;
    private int[] _permutation = [];

    /// <summary>Visits <paramref name="count"/> samples; <paramref name="shuffle"/> false keeps file order (Caffe's LMDB order).</summary>
    public BatchOrder(int count, ulong seed, bool shuffle = true)
    {
        if (count <= 0)
            throw new RistrettoException("the training set is empty");
        _count = count;
        _seed = seed;
        _shuffle = shuffle;
    }

    /// <summary>Sample indices of batch <paramref name="iteration"/> (0-based) of size <paramref name="batchSize"/>.</summary>
    public long[] Batch(long iteration, int batchSize)
    {
        var indices = new long[batchSize];
        long start = iteration * batchSize;
        for (int i = 0; i < batchSize; i++)
        {
            long position = start + i;
            int epoch = (int)(position / _count);
            indices[i] = PermutationOf(epoch)[(int)(position % _count)];
        }
        return indices;
    }

    private int[] PermutationOf(int epoch)
    {
        if (epoch == _epoch)
            return _permutation;
        var p = new int[_count];
        for (int i = 0; i < _count; i++)
            p[i] = i;
        if (_shuffle)
        {
            var rng = new SplitMix64(_seed * 0x9E3779B97F4A7C15UL + (ulong)epoch);
            for (int i = _count - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (p[i], p[j]) = (p[j], p[i]);
            }
        }
        _epoch = epoch;
        _permutation = p;
        return p;
    }
}
