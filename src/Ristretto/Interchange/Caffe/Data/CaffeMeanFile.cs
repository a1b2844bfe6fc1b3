using Google.Protobuf;
using Ristretto.Data.Images;
using Ristretto.IO;
using Ristretto.Interchange.Caffe.Proto;

namespace Ristretto.Interchange.Caffe.Data;

/// <summary>Reads a Caffe mean file (<c>.binaryproto</c>: one <c>BlobProto</c> of 1×C×H×W, as <c>compute_image_mean</c> wrote it).</summary>
public static class CaffeMeanFile
{
    /// <summary>Loads <paramref name="path"/>; a file that is not a mean blob is one error naming it.</summary>
    public static MeanImage Load(string path)
    {
        var bytes = InputFile.ReadAllBytes(path, "mean file");
        BlobProto blob;
        try
        {
            blob = BlobProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RistrettoException($"mean file {path} is not a Caffe BlobProto: {e.Message}", e);
        }
        long[] dims = blob.Shape?.Dim.Count > 0 ? [.. blob.Shape.Dim] : [blob.Num, blob.Channels, blob.Height, blob.Width];
        if (dims.Length == 4 && dims[0] == 1)
            dims = dims[1..];
        var data = blob.Data.Count > 0 ? blob.Data.ToArray() : blob.DoubleData.Select(d => (float)d).ToArray();
        if (dims.Length != 3 || dims.Any(d => d <= 0) || dims[0] * dims[1] * dims[2] != data.Length)
            throw new RistrettoException($"mean file {path}: expected one 1×C×H×W blob, found shape [{string.Join("×", dims)}] with {data.Length} values");
        return new MeanImage(data, (int)dims[0], (int)dims[1], (int)dims[2]);
    }

    /// <summary>Writes a mean image as a <c>.binaryproto</c> (1×C×H×W, legacy num/channels/height/width as Caffe wrote).</summary>
    public static void Save(string path, MeanImage mean)
    {
        ArgumentNullException.ThrowIfNull(mean);
        var blob = new BlobProto { Num = 1, Channels = mean.Channels, Height = mean.Height, Width = mean.Width };
        blob.Data.Add(mean.Data);
        AtomicFile.Write(path, s => blob.WriteTo(s));
    }
}
