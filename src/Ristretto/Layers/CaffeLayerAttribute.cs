namespace Ristretto.Layers;

/// <summary>
/// The Caffe layer types a layer class is built from; the class has
/// <c>internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)</c> (the Caffe reader finds both).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class CaffeLayerAttribute(params string[] types) : Attribute
{
    /// <summary>Caffe's type strings, e.g. "Convolution", "ConvolutionRistretto".</summary>
    public IReadOnlyList<string> Types { get; } = types;
}
