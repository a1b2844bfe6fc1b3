using Ristretto.Formats;
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
    /// applied): the spec of every <see cref="IQuantizedLayer"/>, by layer name.
    /// </summary>
    public static QuantizationPlan CarriedBy(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var layers = network.Nodes.Where(n => n.Layer is IQuantizedLayer)
            .ToDictionary(n => n.Layer.LayerName, n => ((IQuantizedLayer)n.Layer).Spec, StringComparer.Ordinal);
        return new QuantizationPlan(layers, $"carried by {network.Name}");
    }

    /// <summary>
    /// This plan with every layer that has an int format marked <paramref name="learning"/> (others unchanged), or for
    /// <see cref="StepLearning.Ttq"/> every layer with binary or ternary weights; a plan with nothing to learn is an error.
    /// </summary>
    public QuantizationPlan WithLearning(StepLearning learning)
    {
        if (learning == StepLearning.Ttq)
        {
            static bool TwoLevel(LayerQuantization s) => s.Weights is BinaryFormat or TernaryFormat;
            if (!Layers.Values.Any(TwoLevel))
                throw new RistrettoException("a learned α (ttq) trains binary or ternary weights, but the plan has none (make them with quantize --trimming-mode binary or ternary)");
            return this with { Layers = Layers.ToDictionary(l => l.Key, l => TwoLevel(l.Value) ? l.Value with { Learning = learning } : l.Value, StringComparer.Ordinal) };
        }
        static bool HasInteger(LayerQuantization s) => s.Weights is IntegerFormat || s.Input is IntegerFormat || s.Output is IntegerFormat;
        if (learning != StepLearning.None && !Layers.Values.Any(HasInteger))
            throw new RistrettoException($"learned steps ({PlanFile.LearningName(learning)}) train integer scales, but the plan has no int format (make one with quantize --trimming-mode integer)");
        return this with { Layers = Layers.ToDictionary(l => l.Key, l => HasInteger(l.Value) ? l.Value with { Learning = learning } : l.Value, StringComparer.Ordinal) };
    }
}
