namespace Ristretto.Hardware;

/// <summary>
/// The one Pareto front of the project: (cost, accuracy) points where lower cost (energy, BOPs) and higher
/// accuracy are better. The cost report ranks plans by energy, the per-layer search by BOPs.
/// </summary>
public static class ParetoFront
{
    /// <summary>
    /// Indices of the points no other point dominates (another point dominates when its cost is not higher,
    /// its accuracy not lower, and one of them strictly better), by increasing cost.
    /// </summary>
    public static IReadOnlyList<int> Of(IReadOnlyList<(double Cost, double Accuracy)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var front = new List<int>();
        for (int i = 0; i < points.Count; i++)
        {
            var p = points[i];
            bool dominated = points.Where((q, j) => j != i).Any(q =>
                q.Cost <= p.Cost && q.Accuracy >= p.Accuracy && (q.Cost < p.Cost || q.Accuracy > p.Accuracy));
            if (!dominated)
                front.Add(i);
        }
        return front.OrderBy(i => points[i].Cost).ThenBy(i => i).ToList();
    }

    /// <summary>The items of <paramref name="items"/> on the front of (<paramref name="cost"/>, <paramref name="accuracy"/>), by increasing cost.</summary>
    public static IReadOnlyList<T> Of<T>(IEnumerable<T> items, Func<T, double> cost, Func<T, double> accuracy)
    {
        ArgumentNullException.ThrowIfNull(items);
        var list = items.ToList();
        return Of(list.Select(x => (cost(x), accuracy(x))).ToList()).Select(i => list[i]).ToList();
    }
}
