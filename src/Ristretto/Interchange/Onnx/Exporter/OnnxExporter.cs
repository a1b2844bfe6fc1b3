using Google.Protobuf;
using Ristretto.Graph;
using Ristretto.IO;
using Ristretto.Interchange.Onnx.Proto;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>
/// Writes a float <see cref="Network"/> as a standard ONNX model (IR 8, opset 13) that ONNX Runtime, Netron and
/// this project's <see cref="Importer.OnnxImporter"/> read. Each layer becomes the matching operator (Conv,
/// ConvTranspose, Gemm, BatchNormalization, MaxPool/AveragePool with Caffe's ceil mode, LRN, Concat,
/// Add/Sum/Mul/Max, Relu, Clip, ...); a few need more than one node (an inner product on a feature map is
/// Flatten + Gemm; within-channel LRN is Caffe's square, average pool, Pow and Mul). Values keep the network's
/// blob names and nodes its layer names; weights are initializers named after their layer ("conv1.weight").
/// The batch axis is symbolic wherever the network runs any batch size. A layer with no ONNX form (a
/// quantized layer, say) is a <see cref="RistrettoException"/> naming it.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The default-domain opset written.</summary>
    public const int Opset = OnnxGraphBuilder.Opset;

    /// <summary>
    /// The serialized ONNX model of <paramref name="network"/>; <paramref name="metadata"/> goes into the model's
    /// <c>metadata_props</c> (e.g. <see cref="Models.ModelPreprocessing.OnnxKey"/>).
    /// </summary>
    public static byte[] Export(Network network, IReadOnlyDictionary<string, string>? metadata = null) =>
        Export(network, metadata, (graph, shapes) => new OnnxLayerWriter(graph, shapes));

    /// <summary>
    /// The serialized model, each node written by the writer <paramref name="writerFor"/> makes for the graph being built
    /// and the network's blob shapes (the float writer, or a quantized form's).
    /// </summary>
    internal static byte[] Export(Network network, IReadOnlyDictionary<string, string>? metadata,
        Func<OnnxGraphBuilder, IReadOnlyDictionary<string, long[]>, INetworkOnnxWriter> writerFor)
    {
        ArgumentNullException.ThrowIfNull(network);
        var shapes = network.Validate();
        var batched = BatchedShapes(network);
        var blobs = network.Inputs.Select(i => i.Name).Concat(network.Nodes.SelectMany(n => n.Outputs));
        var graph = new OnnxGraphBuilder(network.Name, blobs);
        foreach (var input in network.Inputs)
            graph.Input(input.Name, Declared(input.Name, shapes, batched));
        var writer = writerFor(graph, shapes);
        foreach (var node in network.Nodes)
        {
            try
            {
                writer.Write(node);
            }
            catch (RistrettoException e)
            {
                throw new RistrettoException($"network {network.Name}: {e.Message}", e);
            }
        }
        foreach (var output in network.Outputs)
        {
            writer.Finish(output);
            graph.Output(output, Declared(output, shapes, batched));
        }
        var version = typeof(OnnxExporter).Assembly.GetName().Version ?? new Version(0, 1);
        var model = graph.Build("Ristretto.NET", version.ToString(3));
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model.ToByteArray();
    }

    /// <summary>The <c>metadata_props</c> of the ONNX model at <paramref name="path"/>.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(string path)
    {
        var bytes = InputFile.ReadAllBytes(path, "ONNX model");
        try
        {
            return ModelProto.Parser.ParseFrom(bytes).MetadataProps.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new RistrettoException($"{path} is not an ONNX model: {e.Message}", e);
        }
    }

    /// <summary>Writes <paramref name="network"/>'s ONNX model to <paramref name="path"/> atomically (nothing is written on failure).</summary>
    public static void Save(Network network, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        byte[] bytes = Export(network, metadata);
        AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>Blob shapes for a batch one larger than declared, or null when the network runs only its declared batch.</summary>
    private static IReadOnlyDictionary<string, long[]>? BatchedShapes(Network network)
    {
        var inputs = network.Inputs.ToDictionary(i => i.Name, i => (long[])[i.Shape[0] + 1, .. i.Shape.Skip(1)], StringComparer.Ordinal);
        try
        {
            return network.Validate(inputs);
        }
        catch (RistrettoException)
        {
            return null;
        }
    }

    /// <summary>The shape to declare for <paramref name="blob"/>: dimensions that follow the batch are symbolic.</summary>
    private static long?[] Declared(string blob, IReadOnlyDictionary<string, long[]> shapes, IReadOnlyDictionary<string, long[]>? batched)
    {
        var shape = shapes[blob];
        var other = batched?[blob];
        return shape.Select((d, i) => other is not null && other.Length == shape.Length && other[i] != d ? (long?)null : d).ToArray();
    }
}
