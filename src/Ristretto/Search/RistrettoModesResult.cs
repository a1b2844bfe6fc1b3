using Ristretto.Evaluation;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// Outcome of Ristretto's minifloat search: the exponent width chosen by its rule, the total widths
/// tried, and the smallest that kept top-1 within the margin (null: none did; the plan is then the
/// widest tried, scored for reference). <see cref="LrnExponentBits"/> gives each LRN layer's own exponent width
/// (empty without LRN layers).
/// </summary>
public sealed record MiniFloatSearchResult(
    EvalResult Baseline, int ExponentBits, IReadOnlyList<SweepPoint> Sweeps, int? Bits,
    EvalResult Quantized, QuantizationPlan Plan, int Evaluations, double Seconds)
{
    /// <summary>Exponent bits of each LRN layer's arithmetic, by layer name (same total width as the rest).</summary>
    public IReadOnlyDictionary<string, int> LrnExponentBits { get; init; } = new Dictionary<string, int>();
}

/// <summary>Outcome of Ristretto's power-of-two-weights mode: one fixed plan, scored once.</summary>
public sealed record PowerOfTwoResult(
    EvalResult Baseline, int MinExponent, int MaxExponent, int ActivationBits,
    EvalResult Quantized, QuantizationPlan Plan, int Evaluations, double Seconds);
