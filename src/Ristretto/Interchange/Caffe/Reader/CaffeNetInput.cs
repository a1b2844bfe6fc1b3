namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>A net-level input of an old-style deploy net (<c>input:</c> with <c>input_shape</c> or <c>input_dim</c>).</summary>
/// <param name="Name">The blob name.</param>
/// <param name="Shape">Its shape, or null when the file gives none.</param>
internal sealed record CaffeNetInput(string Name, long[]? Shape);
