using Ristretto.Engine;
using Ristretto.Models;
using static TorchSharp.torch;

namespace Ristretto.Training;

/// <summary>The parameters a solver updates, with their learning-rate multipliers, and the checks its checkpoints share.</summary>
internal sealed class SolverParameters
{
    private readonly List<(string Name, TorchSharp.Modules.Parameter Param, double LrMult, bool Decay)> _all;

    /// <summary>
    /// The named parameters given; biases get <see cref="SolverSettings.BiasLrMult"/>, and learned quantization
    /// steps (<see cref="ParameterNames.IsLearnedStep"/>) no weight decay.
    /// </summary>
    public SolverParameters(IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> parameters, SolverSettings settings)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _all = parameters
            .Select(p => (p.name, p.parameter, ParameterNames.IsBias(p.name) ? settings.BiasLrMult : 1.0, !ParameterNames.IsLearnedStep(p.name)))
            .ToList();
        var duplicate = _all.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"two parameters are named {duplicate.Key}", nameof(parameters));
    }

    /// <summary>(name, parameter, lr multiplier, whether weight decay applies) in the given order.</summary>
    public IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Param, double LrMult, bool Decay)> All => _all;

    /// <summary>The parameter a checkpoint's state entry belongs to; an unknown name or another shape is a <see cref="RistrettoException"/>.</summary>
    public TorchSharp.Modules.Parameter ForState(string name, TensorBlob blob)
    {
        var match = _all.FirstOrDefault(p => p.Name == name);
        if (match.Param is null)
            throw new RistrettoException($"checkpoint has solver state for unknown parameter {name}");
        if (!match.Param.shape.SequenceEqual(blob.Shape))
            throw new RistrettoException($"checkpoint's solver state for {name} has shape [{string.Join(",", blob.Shape)}], the model [{string.Join(",", match.Param.shape)}]");
        return match.Param;
    }
}
