using Google.Protobuf;
using Ristretto.IO;
using Ristretto.Interchange.Caffe.Proto;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>Reads and writes binary <c>.caffemodel</c> files (a serialized <c>NetParameter</c> holding the blobs).</summary>
internal static class CaffeModelFile
{
    /// <summary>Reads the caffemodel at <paramref name="path"/>.</summary>
    /// <exception cref="RistrettoException">The file is missing, unreadable, or not a Caffe model.</exception>
    public static NetParameter Read(string path)
    {
        return Parse(InputFile.ReadAllBytes(path, "caffemodel file"), Path.GetFileName(path));
    }

    /// <summary>Parses caffemodel bytes; <paramref name="name"/> names them in errors.</summary>
    /// <exception cref="RistrettoException">The bytes are not a protobuf <c>NetParameter</c> with layers.</exception>
    public static NetParameter Parse(byte[] bytes, string name)
    {
        NetParameter net;
        try
        {
            net = NetParameter.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RistrettoException($"{name} is not a Caffe model: {FirstLine(e.Message)}", e);
        }
        if (net.Layer.Count == 0 && net.Layers.Count == 0)
            throw new RistrettoException($"{name} is not a Caffe model: it holds no layers");
        return net;
    }

    /// <summary>The caffemodel bytes of <paramref name="net"/>.</summary>
    public static byte[] ToBytes(NetParameter net) => net.ToByteArray();

    /// <summary>Writes <paramref name="net"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, NetParameter net) => AtomicFile.Write(path, net.WriteTo);

    private static string FirstLine(string message)
    {
        int end = message.IndexOf('\n', StringComparison.Ordinal);
        string line = (end < 0 ? message : message[..end]).Trim();
        return line.Length == 0 ? "malformed protobuf" : line;
    }
}
