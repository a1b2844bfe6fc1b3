using Google.Protobuf;
using Ristretto.Graph;
using Ristretto.IO;
using Ristretto.Interchange.Onnx.Proto;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>
/// Reads an ONNX model (default-domain opsets 1 to 21) into a <see cref="Network"/>. Constant subgraphs
/// (Constant, ConstantOfShape, Shape, Gather, Reshape of weights, ...) are evaluated at import time, so
/// weights built by nodes become parameters. A quantized model (QDQ pairs, QONNX Quant nodes) imports as the float network
/// with its quantized layers wrapped in <see cref="Quantization.QuantizedLayer"/>s carrying the plan the graph says
/// (<see cref="Quantization.QuantizationPlan.CarriedBy"/> reads it back), or as the float network alone. Anything the
/// importer cannot represent is one <see cref="RistrettoException"/> naming the file, the node and its operator.
/// </summary>
public static class OnnxImporter
{
    /// <summary>The newest default-domain opset this version reads.</summary>
    public const int MaxOpset = 21;

    /// <summary>Imports the model stored at <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="applyQuantization">Whether a quantized model's layers carry their formats (false: the float network).</param>
    public static Network Load(string path, bool applyQuantization = true)
    {
        return Load(InputFile.ReadAllBytes(path, "ONNX model"), Path.GetFileName(path), applyQuantization);
    }

    /// <summary>Imports a serialized ONNX model; <paramref name="sourceName"/> prefixes error messages.</summary>
    public static Network Load(byte[] model, string sourceName = "model.onnx", bool applyQuantization = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = Parse(model, sourceName);
        return OnnxConverter.Convert(proto, sourceName, applyQuantization);
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
