using Ristretto.Graph;
using Ristretto.Layers;

namespace Ristretto.Quantization;

/// <summary>
/// Which layers a <see cref="LayerQuantization"/> can apply to, and the quantized layer that applies it:
/// weighted layers (convolution, deconvolution, inner product) become <see cref="QuantizedLayer"/>s, LRN layers
/// <see cref="QuantizedLrnLayer"/>s, smooth activations with an approximation <see cref="ApproximateActivationLayer"/>s. Every
/// other layer passes its input through untouched and cannot carry a spec.
/// </summary>
public static class QuantizedLayers
{
    /// <summary>What the error for a layer that cannot be quantized lists.</summary>
    public const string Quantizable = "convolution, deconvolution, inner product and LRN layers (and tanh, sigmoid and ELU layers an approximation)";

    /// <summary>True when <paramref name="layer"/> can carry a quantization spec.</summary>
    public static bool IsQuantizable(Layer layer) => layer is IWeightedLayer or LrnLayer or ISmoothActivation;

    /// <summary>
    /// <paramref name="layer"/> run under <paramref name="spec"/>; a spec that does not fit the layer (or a layer
    /// that cannot be quantized) is one <see cref="RistrettoException"/> line naming the layer.
    /// </summary>
    /// <param name="layer">The float layer.</param>
    /// <param name="spec">The formats.</param>
    /// <param name="owns">The quantized layer owns <paramref name="layer"/> (an imported Ristretto layer) instead of borrowing it.</param>
    public static Layer Create(Layer layer, LayerQuantization spec, bool owns = false)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(spec);
        return layer switch
        {
            IWeightedLayer => new QuantizedLayer(layer, spec, owns),
            LrnLayer lrn => new QuantizedLrnLayer(lrn, spec, owns),
            ISmoothActivation => new ApproximateActivationLayer(layer, spec),
            _ => throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) cannot be quantized: only {Quantizable} carry formats"),
        };
    }
}
