using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using TorchSharp.Modules;

namespace Ristretto.Layers;

/// <summary>
/// What a layer type reads when it is built from a Caffe <c>LayerParameter</c> (its <c>FromCaffe</c>, found through
/// <see cref="CaffeLayerAttribute"/>): the layer's stored blobs (from a caffemodel; none when the net has no weights),
/// the shapes of its inputs, and the seeded stream the xavier filler draws from when there are no blobs.
/// </summary>
internal sealed class CaffeLayerInputs(IReadOnlyList<CaffeBlob> blobs, NetworkBuilder builder, SplitMix64 rng)
{
    private SplitMix64 _rng = rng;

    /// <summary>The blobs stored for the layer.</summary>
    public IReadOnlyList<CaffeBlob> Blobs { get; } = blobs;

    /// <summary>The filler stream after this layer drew from it (the next layer continues from here).</summary>
    public SplitMix64 Rng => _rng;

    /// <summary>The shape of the layer's one input; one error line when it has another number of inputs.</summary>
    public long[] InputShape(LayerParameter p)
    {
        if (p.Bottom.Count != 1)
            throw new RistrettoException($"takes one input, has {p.Bottom.Count}");
        return builder.ShapeOf(p.Bottom[0]);
    }

    /// <summary>The input's channels (axis 1).</summary>
    public long InputChannels(LayerParameter p) => InputShape(p)[1];

    /// <summary>The input's features per image (all axes but the batch).</summary>
    public long Features(LayerParameter p) => InputShape(p).Skip(1).Aggregate(1L, (a, d) => a * d);

    /// <summary>
    /// Weight (and bias, when <paramref name="bias"/> gives its length) from the stored blobs, checked against
    /// <paramref name="shape"/>; with no blobs, the xavier filler and zeros.
    /// </summary>
    public (Parameter Weight, Parameter? Bias) Weights(long[] shape, long? bias, string layer)
    {
        if (Blobs.Count == 0)
            return (ParameterInit.Xavier(shape, ref _rng), bias is { } n ? ParameterInit.Zeros([n]) : null);
        int expected = bias is null ? 1 : 2;
        if (Blobs.Count != expected)
            throw new RistrettoException($"has {Blobs.Count} weight blobs, expected {expected}");
        var w = ParameterInit.From(new TensorBlob("weight", Blobs[0].Shape, Blobs[0].Data), shape, layer, "weight blob");
        var b = bias is { } count ? ParameterInit.From(new TensorBlob("bias", Blobs[1].Shape, Blobs[1].Data), [count], layer, "bias blob") : null;
        return (w, b);
    }

    /// <summary>A (height, width) pair from Caffe's repeated field or its _h/_w fields, or <paramref name="fallback"/> when absent.</summary>
    public static (long H, long W) Pair(IReadOnlyList<uint> values, uint? h, uint? w, long? fallback, string what)
    {
        if (h is { } hh && w is { } ww)
            return (hh, ww);
        if (values.Count == 1)
            return (values[0], values[0]);
        if (values.Count == 2)
            return (values[0], values[1]);
        if (values.Count == 0 && fallback is { } f)
            return (f, f);
        throw new RistrettoException($"{what} needs 1 or 2 values (or _h and _w), got {values.Count}");
    }
}
