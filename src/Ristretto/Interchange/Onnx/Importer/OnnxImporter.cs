using Google.Protobuf;
using Ristretto.Graph;
using Ristretto.IO;
using Ristretto.Interchange.Onnx.Proto;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>
/// Reads an ONNX model (default-domain opsets 1 to 21) into a <see cref="Network"/>. Constant subgraphs
/// (Constant, ConstantOfShape, Shape, Gather, Reshape of weights, ...) are evaluated at import time, so
/// weights built by nodes become parameters. Anything the importer cannot represent is one
/// <see cref="RistrettoException"/> naming the file, the node and its operator.
/// </summary>
public static class OnnxImporter
{
    /// <summary>The newest default-domain opset this version reads.</summary>
    public const int MaxOpset = 21;

    /// <summary>Imports the model stored at <paramref name="path"/>.</summary>
    public static Network Load(string path)
    {
        return Load(InputFile.ReadAllBytes(path, "ONNX model"), Path.GetFileName(path));
    }

    /// <summary>Imports a serialized ONNX model; <paramref name="sourceName"/> prefixes error messages.</summary>
    public static Network Load(byte[] model, string sourceName = "model.onnx")
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = Parse(model, sourceName);
        return OnnxConverter.Convert(proto, sourceName);
    }

    internal static ModelProto Parse(byte[] model, string sourceName)
    {
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RistrettoException($"{sourceName}: not a valid ONNX model ({e.Message})", e);
        }
        if (proto.Graph is null || proto.Graph.Node.Count == 0)
            throw new RistrettoException($"{sourceName}: not a valid ONNX model (it has no graph nodes)");
        return proto;
    }
}
