using Ristretto.Hardware;

namespace Ristretto.Reports;

/// <summary>A plan with its cost, its savings against float32 and whether it is on the accuracy-vs-energy Pareto front.</summary>
/// <param name="Plan">The plan reported.</param>
/// <param name="Cost">Its cost per inference.</param>
/// <param name="OnParetoFront">True when no other plan with a known accuracy is both cheaper and more accurate.</param>
public sealed record PlanReport(ReportPlan Plan, NetworkCost Cost, bool OnParetoFront);
