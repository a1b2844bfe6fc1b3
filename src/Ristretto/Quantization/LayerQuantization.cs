using Ristretto.Formats;

namespace Ristretto.Quantization;

/// <summary>
/// How one quantizable layer is trimmed: formats for its weights, bias, input and output (null: left in
/// float32) and the rounding used; <see cref="Learning"/> says whether fine-tuning trains the integer scales
/// (LSQ, LSQ+). An activation layer (tanh, sigmoid, ELU) carries an <see cref="Approximation"/> instead: the piecewise-linear
/// unit or lookup table that computes it. A value of a frozen <see cref="QuantizationPlan"/>.
/// </summary>
public sealed record LayerQuantization(
    NumberFormat? Weights = null, NumberFormat? Bias = null, NumberFormat? Input = null, NumberFormat? Output = null,
    Rounding Rounding = Rounding.Nearest, StepLearning Learning = StepLearning.None, ActivationApproximation? Approximation = null)
{
    /// <summary>True when nothing is trimmed or approximated.</summary>
    public bool IsFloat => Weights is null && Bias is null && Input is null && Output is null && Approximation is null;
}
