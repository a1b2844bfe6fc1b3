namespace Ristretto.Quantization;

/// <summary>
/// The frozen result of calibration and search: a <see cref="LayerQuantization"/> per layer name. Layers
/// not listed run in float32. Apply it to a network with <see cref="QuantizedNetwork"/>.
/// </summary>
public sealed record QuantizationPlan(IReadOnlyDictionary<string, LayerQuantization> Layers, string Description = "")
{
    /// <summary>The float plan (nothing trimmed).</summary>
    public static QuantizationPlan Float { get; } = new(new Dictionary<string, LayerQuantization>(), "float32");
}
