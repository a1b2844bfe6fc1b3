namespace Ristretto.Models;

/// <summary>Conventions of TorchSharp parameter names ("conv1.weight", or "bias" on a bare layer).</summary>
public static class ParameterNames
{
    /// <summary>True for a bias parameter, at any nesting depth.</summary>
    public static bool IsBias(string name) =>
        name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal);
}
