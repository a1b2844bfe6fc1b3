using Ristretto.Evaluation;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// Outcome of Ristretto's dynamic-fixed-point search. A chosen width is null when not even 16 bits kept
/// accuracy within the margin (that part stays float32), or when the network has no such layers. The chosen
/// widths, <see cref="Quantized"/> and <see cref="Plan"/> are those of the last kept entry of
/// <see cref="Combined"/>: the sweeps' choice, or the plan that widening reached (see
/// <see cref="RistrettoDfpSearch.WidenToMargin"/>). <see cref="Threshold"/> is the lowest top-1 (fraction) a plan
/// could score and stay within the margin.
/// </summary>
public sealed record DfpSearchResult(
    EvalResult Baseline, IReadOnlyList<SweepPoint> Sweeps, int? ConvWeightBits, int? FcWeightBits, int? ActivationBits,
    EvalResult Quantized, QuantizationPlan Plan, int Evaluations, double Seconds, IReadOnlyList<CombinedTry> Combined, double Threshold)
{
    /// <summary>
    /// Whether widening kept the try of fewest BOPs among those meeting the margin (<see cref="RistrettoDfpSearch.WidenToCheapest"/>),
    /// or always the best-scoring one.
    /// </summary>
    public bool CheapestKept { get; init; }

    /// <summary>
    /// The weight cells scored with two criteria' integer lengths (<see cref="RistrettoDfpSearch.AlternativeWeights"/>): one
    /// entry per criterion and cell, <see cref="WeightCandidate.Kept"/> on the one the sweep, the combined plan and widening use.
    /// </summary>
    public IReadOnlyList<WeightCandidate> WeightCandidates { get; init; } = [];

    /// <summary>Whether the chosen plan's top-1 is at least <see cref="Threshold"/> (baseline − margin).</summary>
    public bool MeetsMargin => Quantized.Driving >= Threshold;
}

/// <summary>
/// One combined plan the search scored. Step 0 is the three sweeps' choices together (Ristretto's answer).
/// While the kept plan misses the margin, each later step scores every part one width wider
/// (<see cref="Widened"/> names the part and its new width) and keeps one of them (<see cref="Kept"/>): the cheapest that
/// meets the margin, else the best (<see cref="DfpSearchResult.CheapestKept"/>).
/// </summary>
public sealed record CombinedTry(int? ConvWeightBits, int? FcWeightBits, int? ActivationBits, double Top1, double Top5,
    int Step, string? Widened, bool Kept, double Score = double.NaN);

/// <summary>
/// A weight cell (<paramref name="Part"/> at <paramref name="Bits"/>) scored with the integer lengths of one criterion:
/// <c>histogram</c> (the search's own rule) or <c>output</c> (the network-output error).
/// </summary>
public sealed record WeightCandidate(string Part, int Bits, string Criterion, double Top1, double Top5, double Score, bool Kept);
