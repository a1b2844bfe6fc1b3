using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>
/// The exporter's side of <see cref="IOnnxWriter"/>: each layer writes its own nodes (<see cref="Layer.WriteOnnx"/>)
/// into the graph being built, reading blob shapes inferred once for the network.
/// </summary>
internal sealed class OnnxLayerWriter(OnnxGraphBuilder graph, IReadOnlyDictionary<string, long[]> shapes) : INetworkOnnxWriter
{
    /// <inheritdoc/>
    public void Finish(string output)
    {
    }

    /// <summary>Writes <paramref name="node"/>; a layer type with no ONNX form is a <see cref="RistrettoException"/>.</summary>
    public void Write(LayerNode node) => node.Layer.WriteOnnx(this, node.Inputs.ToArray(), node.Outputs[0]);

    /// <inheritdoc/>
    public void Node(string op, string name, string[] inputs, string output, params (string Name, object Value)[] attributes) =>
        graph.Node(op, name, inputs, output, attributes);

    /// <inheritdoc/>
    public string Initializer(string name, Tensor value) => graph.Initializer(name, value);

    /// <inheritdoc/>
    public string Scalar(string name, double value) => graph.Scalar(name, value);

    /// <inheritdoc/>
    public string Int64s(string name, long[] values) => graph.Int64s(name, values);

    /// <inheritdoc/>
    public string Fresh(string wanted) => graph.Fresh(wanted);

    /// <inheritdoc/>
    public long[] Shape(string blob) => shapes[blob];
}
