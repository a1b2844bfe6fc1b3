namespace Ristretto.Graph;

/// <summary>A layer with the names of the blobs it reads and writes (each blob written exactly once).</summary>
public sealed record LayerNode(Layer Layer, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);
