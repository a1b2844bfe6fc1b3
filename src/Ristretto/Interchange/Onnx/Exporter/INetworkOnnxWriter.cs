using Ristretto.Graph;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>Writes a network's nodes into the graph being built: the float writer, or one of the quantized forms.</summary>
internal interface INetworkOnnxWriter : IOnnxWriter
{
    /// <summary>Writes <paramref name="node"/>; a layer or spec the form cannot express is a <see cref="RistrettoException"/> naming it.</summary>
    void Write(LayerNode node);

    /// <summary>Makes sure graph output <paramref name="output"/> holds the float blob of that name.</summary>
    void Finish(string output);
}
