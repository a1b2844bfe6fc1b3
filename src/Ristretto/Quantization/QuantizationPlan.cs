using Ristretto.Graph;

namespace Ristretto.Quantization;

/// <summary>
/// The frozen result of calibration and search: a <see cref="LayerQuantization"/> per layer name. Layers
/// not listed run in float32. Apply it to a network with <see cref="QuantizedNetwork"/>.
/// </summary>
public sealed record QuantizationPlan(IReadOnlyDictionary<string, LayerQuantization> Layers, string Description = "")
{
    /// <summary>The float plan (nothing trimmed).</summary>
    public static QuantizationPlan Float { get; } = new(new Dictionary<string, LayerQuantization>(), "float32");

    /// <summary>
    /// The plan a network carries in its own layers (a Ristretto prototxt imported with its quantization
    /// applied): the spec of every <see cref="QuantizedLayer"/>, by layer name.
    /// </summary>
    public static QuantizationPlan CarriedBy(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var layers = network.Nodes.Where(n => n.Layer is QuantizedLayer)
            .ToDictionary(n => n.Layer.LayerName, n => ((QuantizedLayer)n.Layer).Spec, StringComparer.Ordinal);
        return new QuantizationPlan(layers, $"carried by {network.Name}");
    }
}
