using Google.OrTools.Sat;

namespace Ristretto.Search;

/// <summary>One width a layer may take: its sensitivity (the loss it is expected to add) and its cost under the budget.</summary>
/// <param name="Bits">The weight width.</param>
/// <param name="Sensitivity">Expected loss added at this width (≥ 0; smaller is better).</param>
/// <param name="Cost">Cost in the budget's unit (BOPs, µJ, KiB).</param>
/// <param name="Held">What the width adds to a second, optional limit (<see cref="BitAllocation.Best"/>'s <c>heldLimit</c>): the energy budget's on-chip parameter bits.</param>
public sealed record WidthOption(int Bits, double Sensitivity, double Cost, double Held = 0);

/// <summary>One allocation: each layer's width and the summed sensitivity it was chosen by.</summary>
/// <param name="Widths">Each layer's <see cref="WidthOption.Bits"/>.</param>
/// <param name="Sensitivity">Σ of the chosen options' sensitivities.</param>
/// <param name="Cost">Σ of the chosen options' costs.</param>
public sealed record Allocation(IReadOnlyDictionary<string, int> Widths, double Sensitivity, double Cost);

/// <summary>
/// The decision of the sensitivity-guided allocation, apart from any evaluation: an integer program that picks one width
/// per layer minimising the summed sensitivity under a cost budget, solved by OR-Tools' CP-SAT. Sensitivities are scaled
/// to integers (10⁹ for the largest), costs to integers of a billionth of the budget (a solution may exceed the budget by
/// that rounding, a few parts in 10⁹). Deterministic: one search worker, a fixed seed.
/// </summary>
public static class BitAllocation
{
    /// <summary>The widths chosen, or null when no choice fits <paramref name="budget"/>.</summary>
    public static IReadOnlyDictionary<string, int>? Solve(IReadOnlyDictionary<string, IReadOnlyList<WidthOption>> options, double budget) =>
        Best(options, budget, 1).FirstOrDefault()?.Widths;

    /// <summary>
    /// Up to <paramref name="count"/> allocations within <paramref name="budget"/> (and, when given, with Σ
    /// <see cref="WidthOption.Held"/> ≤ <paramref name="heldLimit"/>), the least summed sensitivity first: each next one is
    /// the optimum among the allocations that differ from every earlier one in at least <paramref name="differIn"/>
    /// layers' widths (1: a no-good cut, every allocation; 2 and more: a diverse list, not crowded by the variants of one
    /// allocation in a single cheap layer). Empty when none fits.
    /// </summary>
    public static IReadOnlyList<Allocation> Best(IReadOnlyDictionary<string, IReadOnlyList<WidthOption>> options, double budget, int count, double? heldLimit = null,
        int differIn = 1)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(differIn, 1);
        if (options.Count == 0)
            return [new Allocation(new Dictionary<string, int>(StringComparer.Ordinal), 0, 0)];
        if (options.Values.Any(o => o.Count == 0))
            throw new RistrettoException("bit allocation: a layer has no width to choose from");
        double largestSensitivity = Math.Max(options.Values.SelectMany(o => o).Max(o => o.Sensitivity), 1e-300);
        double unit = Math.Max(budget / 1e9, 1e-9); // costs in units of budget/10⁹: exact enough, far from overflow
        long Scaled(double s) => (long)Math.Round(Math.Max(s, 0) / largestSensitivity * 1e9);
        long Cost(double c) => (long)Math.Round(c / unit);
        var model = new CpModel();
        var cost = LinearExpr.NewBuilder();
        var held = LinearExpr.NewBuilder();
        var objective = LinearExpr.NewBuilder();
        var chosen = new Dictionary<string, List<(BoolVar Var, WidthOption Option)>>(StringComparer.Ordinal);
        foreach (var (layer, widths) in options.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var vars = widths.Select(w => (Var: model.NewBoolVar($"{layer}_{w.Bits}"), Option: w)).ToList();
            model.AddExactlyOne(vars.Select(v => (ILiteral)v.Var));
            foreach (var (v, o) in vars)
            {
                cost.AddTerm(v, Cost(o.Cost));
                objective.AddTerm(v, Scaled(o.Sensitivity));
            }
            chosen[layer] = vars;
        }
        model.Add(cost <= (long)Math.Round(budget / unit));
        if (heldLimit is { } limit)
        {
            // Held amounts are counts (parameter bits): exact integers, no scaling.
            foreach (var (v, o) in chosen.Values.SelectMany(x => x))
                held.AddTerm(v, (long)Math.Ceiling(o.Held));
            model.Add(held <= (long)Math.Floor(limit));
        }
        model.Minimize(objective);
        var found = new List<Allocation>();
        while (found.Count < count)
        {
            var solver = new CpSolver { StringParameters = "num_search_workers:1, random_seed:1, max_time_in_seconds:60" };
            var status = solver.Solve(model);
            if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible))
                break;
            var picked = chosen.ToDictionary(kv => kv.Key, kv => kv.Value.First(v => solver.BooleanValue(v.Var)), StringComparer.Ordinal);
            found.Add(new Allocation(picked.ToDictionary(kv => kv.Key, kv => kv.Value.Option.Bits, StringComparer.Ordinal),
                picked.Values.Sum(p => p.Option.Sensitivity), picked.Values.Sum(p => p.Option.Cost)));
            // Exclude this allocation and, past a no-good cut, those that share all but fewer than differIn of its choices.
            var same = LinearExpr.NewBuilder();
            foreach (var p in picked.Values)
                same.Add(p.Var);
            model.Add(same <= picked.Count - differIn);
        }
        // The program saw sensitivities to a billionth of the largest: order by the exact sums (stable for ties).
        return found.OrderBy(a => a.Sensitivity).ToList();
    }
}
