namespace Ristretto.Reports;

/// <summary>The Pareto front of (energy, accuracy) points: lower energy and higher accuracy are better.</summary>
public static class ParetoFront
{
    /// <summary>
    /// Indices of the points no other point dominates (another point dominates when its energy is not higher,
    /// its accuracy not lower, and one of them strictly better), by increasing energy.
    /// </summary>
    public static IReadOnlyList<int> Of(IReadOnlyList<(double Energy, double Accuracy)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var front = new List<int>();
        for (int i = 0; i < points.Count; i++)
        {
            var p = points[i];
            bool dominated = points.Where((q, j) => j != i).Any(q =>
                q.Energy <= p.Energy && q.Accuracy >= p.Accuracy && (q.Energy < p.Energy || q.Accuracy > p.Accuracy));
            if (!dominated)
                front.Add(i);
        }
        return front.OrderBy(i => points[i].Energy).ThenBy(i => i).ToList();
    }
}
