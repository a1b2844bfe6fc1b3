using Ristretto.Graph;

namespace Ristretto.Quantization;

/// <summary>
/// A layer that runs another layer with simulated accelerator arithmetic: <see cref="QuantizedLayer"/> for weighted
/// layers (convolution, deconvolution, inner product), <see cref="QuantizedLrnLayer"/> for local response
/// normalisation. Exporters read the float layer and the formats from here.
/// </summary>
public interface IQuantizedLayer
{
    /// <summary>The wrapped float layer.</summary>
    Layer Inner { get; }

    /// <summary>The formats applied.</summary>
    LayerQuantization Spec { get; }
}
