namespace Ristretto.Compression;

/// <summary>
/// k-means on scalars (Lloyd's iterations) with Deep Compression's linear initialisation: k centroids evenly spaced
/// between the smallest and the largest value, which keeps centroids for the rare large weights. A centroid left
/// without members keeps its value.
/// </summary>
public static class KMeans1D
{
    /// <summary>Clusters <paramref name="values"/> into at most <paramref name="k"/> centroids; returns them and each value's cluster.</summary>
    public static (float[] Centroids, int[] Assignment) Cluster(ReadOnlySpan<float> values, int k, int iterations = 30)
    {
        if (k < 1)
            throw new ArgumentOutOfRangeException(nameof(k), k, "k must be ≥ 1");
        var assignment = new int[values.Length];
        if (values.Length == 0)
            return ([0f], assignment);
        float lo = float.MaxValue, hi = float.MinValue;
        foreach (var v in values)
            (lo, hi) = (Math.Min(lo, v), Math.Max(hi, v));
        var centroids = new double[k];
        for (int c = 0; c < k; c++)
            centroids[c] = k == 1 ? (lo + (double)hi) / 2 : lo + (hi - (double)lo) * c / (k - 1);
        var sums = new double[k];
        var counts = new long[k];
        for (int it = 0; it < iterations; it++)
        {
            // Centroids stay sorted (linear start, means of consecutive intervals), so the nearest is found by bisection.
            bool changed = Assign(values, centroids, assignment, it == 0);
            if (!changed && it > 0)
                break;
            Array.Clear(sums);
            Array.Clear(counts);
            for (int i = 0; i < values.Length; i++)
            {
                sums[assignment[i]] += values[i];
                counts[assignment[i]]++;
            }
            for (int c = 0; c < k; c++)
                if (counts[c] > 0)
                    centroids[c] = sums[c] / counts[c];
        }
        Assign(values, centroids, assignment, true);
        return (centroids.Select(c => (float)c).ToArray(), assignment);
    }

    /// <summary>The index of the centroid nearest <paramref name="v"/> (sorted centroids).</summary>
    public static int Nearest(ReadOnlySpan<double> centroids, double v)
    {
        int lo = 0, hi = centroids.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (v > (centroids[mid] + centroids[mid + 1]) / 2)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    private static bool Assign(ReadOnlySpan<float> values, double[] centroids, int[] assignment, bool force)
    {
        bool changed = force;
        for (int i = 0; i < values.Length; i++)
        {
            int c = Nearest(centroids, values[i]);
            if (c != assignment[i])
            {
                assignment[i] = c;
                changed = true;
            }
        }
        return changed;
    }
}
