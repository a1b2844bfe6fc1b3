namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>What the structural check learned about how blobs flow through a (phase-selected) net.</summary>
/// <param name="Inputs">Net-level inputs (deploy nets written with <c>input:</c>), in file order.</param>
/// <param name="Outputs">Blobs that no later layer reads: the net's outputs (e.g. <c>accuracy</c>, <c>loss</c>, <c>prob</c>), in the order they were last written.</param>
/// <param name="InPlaceLayers">Names of the layers that overwrite their bottom (a top with the same name as the bottom in the same position, like Caffe's ReLU).</param>
internal sealed record CaffeBlobFlow(
    IReadOnlyList<CaffeNetInput> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlySet<string> InPlaceLayers);
