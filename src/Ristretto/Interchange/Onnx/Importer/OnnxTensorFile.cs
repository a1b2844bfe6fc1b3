using Google.Protobuf;
using Ristretto.Engine;
using Ristretto.IO;
using Ristretto.Interchange.Onnx.Proto;
using Ristretto.Models;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>
/// Reads one serialized ONNX TensorProto (the <c>input_N.pb</c> / <c>output_N.pb</c> files of the ONNX
/// test suite) as a float32 <see cref="TensorBlob"/>.
/// </summary>
public static class OnnxTensorFile
{
    /// <summary>Reads the tensor stored at <paramref name="path"/>.</summary>
    public static TensorBlob Read(string path)
    {
        return Parse(InputFile.ReadAllBytes(path, "ONNX tensor file"), Path.GetFileName(path));
    }

    /// <summary>Parses a serialized TensorProto; <paramref name="sourceName"/> prefixes error messages.</summary>
    public static TensorBlob Parse(byte[] bytes, string sourceName = "tensor.pb")
    {
        TensorProto proto;
        try
        {
            proto = TensorProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RistrettoException($"{sourceName}: not a valid ONNX tensor ({e.Message})", e);
        }
        var (shape, values) = OnnxTensors.ReadFloats(proto, sourceName);
        return new TensorBlob(proto.Name, shape, values);
    }
}
