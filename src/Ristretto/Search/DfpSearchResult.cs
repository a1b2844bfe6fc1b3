using Ristretto.Evaluation;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// Outcome of Ristretto's dynamic-fixed-point search. A chosen width is null when not even 16 bits kept
/// accuracy within the margin (that part stays float32), or when the network has no such layers.
/// </summary>
public sealed record DfpSearchResult(
    EvalResult Baseline, IReadOnlyList<SweepPoint> Sweeps, int? ConvWeightBits, int? FcWeightBits, int? ActivationBits,
    EvalResult Quantized, QuantizationPlan Plan, int Evaluations, double Seconds);
