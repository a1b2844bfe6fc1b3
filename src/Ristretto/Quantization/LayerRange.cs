namespace Ristretto.Quantization;

/// <summary>Largest magnitudes seen by calibration for one weighted layer.</summary>
/// <param name="Input">max |x| of the layer's input.</param>
/// <param name="Output">max |y| of its output, as the layer produced it (before any in-place activation).</param>
/// <param name="Weights">max |w|.</param>
/// <param name="Bias">max |b| (0 without bias).</param>
public sealed record LayerRange(double Input, double Output, double Weights, double Bias);
