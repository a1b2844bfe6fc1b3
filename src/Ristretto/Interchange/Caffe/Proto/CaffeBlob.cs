
namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>
/// One parameter blob of a Caffe layer (weights, bias, BatchNorm statistics) as a shape and a
/// row-major float array, the form the graph builder copies into a tensor.
/// </summary>
/// <param name="Shape">The dimensions, outermost first (for a convolution: out, in/group, kh, kw).</param>
/// <param name="Data">The values, row-major; <c>Data.Length</c> is the product of <paramref name="Shape"/>.</param>
internal sealed record CaffeBlob(long[] Shape, float[] Data)
{
    /// <summary>The shape as <c>20x1x5x5</c>.</summary>
    public string ShapeText => Shape.Length == 0 ? "scalar" : string.Join("x", Shape);

    /// <summary>
    /// Reads a blob: the shape from <c>shape</c>, else from the legacy 4-d num/channels/height/width;
    /// the values from <c>data</c>, else from <c>double_data</c> (narrowed to float).
    /// </summary>
    /// <param name="blob">The stored blob.</param>
    /// <param name="where">Names the blob in errors, e.g. <c>x.caffemodel: layer 'conv1' blob 0</c>.</param>
    /// <exception cref="RistrettoException">The number of values disagrees with the shape, or a dimension is negative.</exception>
    public static CaffeBlob FromProto(BlobProto blob, string where)
    {
        long[] shape = blob.Shape is not null
            ? blob.Shape.Dim.ToArray()
            : blob.HasNum || blob.HasChannels || blob.HasHeight || blob.HasWidth
                ? [blob.Num, blob.Channels, blob.Height, blob.Width]
                : [];
        if (shape.Any(d => d < 0))
            throw new RistrettoException($"{where} has a negative dimension in its shape {string.Join("x", shape)}");
        float[] data = blob.Data.Count > 0 || blob.DoubleData.Count == 0
            ? blob.Data.ToArray()
            : blob.DoubleData.Select(d => (float)d).ToArray();
        long count = 1;
        foreach (long d in shape)
            count = d == 0 ? 0 : count > long.MaxValue / d ? long.MaxValue : count * d;
        if (count != data.Length)
            throw new RistrettoException(
                $"{where} holds {data.Length} values but its shape {(shape.Length == 0 ? "(scalar)" : string.Join("x", shape))} needs {count}");
        return new CaffeBlob(shape, data);
    }

    /// <summary>The blob as Caffe stores it today: a <c>shape</c> and packed float <c>data</c>.</summary>
    public BlobProto ToProto()
    {
        var blob = new BlobProto { Shape = new BlobShape() };
        blob.Shape.Dim.AddRange(Shape);
        blob.Data.AddRange(Data);
        return blob;
    }
}
