namespace Ristretto.Models;

/// <summary>Conventions of TorchSharp parameter names ("conv1.weight", or "bias" on a bare layer).</summary>
public static class ParameterNames
{
    /// <summary>True for a bias parameter, at any nesting depth.</summary>
    public static bool IsBias(string name) =>
        name == "bias" || name.EndsWith(".bias", StringComparison.Ordinal);

    /// <summary>Prefix of a fine-tuning's learned quantization step or offset ("lsq:conv1:input:scale").</summary>
    public const string LearnedStepPrefix = "lsq:";

    /// <summary>True for a learned quantization step or offset: trained without weight decay.</summary>
    public static bool IsLearnedStep(string name) => name.StartsWith(LearnedStepPrefix, StringComparison.Ordinal);
}
