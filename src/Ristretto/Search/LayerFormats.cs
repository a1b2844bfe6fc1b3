using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>
/// The formats of one weighted layer when its weights are <paramref name="weightBits"/> wide and its input and
/// output <paramref name="activationBits"/> wide (null: left in float32), from its calibrated ranges.
/// </summary>
public delegate LayerQuantization LayerFormats(string layer, LayerRange range, int? weightBits, int? activationBits);
