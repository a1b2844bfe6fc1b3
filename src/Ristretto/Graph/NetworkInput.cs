namespace Ristretto.Graph;

/// <summary>A named network input and its shape (batch dimension first; the batch size given is nominal).</summary>
public sealed record NetworkInput(string Name, long[] Shape);
