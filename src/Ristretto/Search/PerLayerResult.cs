using Ristretto.Evaluation;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// A scored plan: its cost (BOPs) and accuracy. <see cref="Top1"/> holds the search's driving score: top-1 unless the
/// search ran with another metric (<see cref="PerLayerSearch.Metric"/>).
/// </summary>
public sealed record CostPoint(string Description, double Bops, double Top1, double Top5);

/// <summary>
/// Outcome of the per-layer search: the final plan (weights and activation widths per layer), every
/// plan scored, the accuracy/cost Pareto front among them, and whether the time budget cut it short.
/// </summary>
public sealed record PerLayerResult(
    EvalResult Baseline, IReadOnlyDictionary<string, (int Weights, int Activations)> Widths, QuantizationPlan Plan,
    CostPoint Final, IReadOnlyList<CostPoint> Scored, IReadOnlyList<CostPoint> ParetoFront, bool BudgetExhausted,
    int Evaluations, double Seconds);
