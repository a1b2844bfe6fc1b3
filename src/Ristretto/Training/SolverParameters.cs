using Ristretto.Models;
using static TorchSharp.torch;

namespace Ristretto.Training;

/// <summary>The parameters a solver updates, with their learning-rate multipliers, and the checks its checkpoints share.</summary>
internal sealed class SolverParameters
{
    private readonly List<(string Name, TorchSharp.Modules.Parameter Param, double LrMult)> _all;

    /// <summary>Every parameter of <paramref name="model"/>; biases get <see cref="SolverSettings.BiasLrMult"/>.</summary>
    public SolverParameters(nn.Module model, SolverSettings settings)
    {
        ArgumentNullException.ThrowIfNull(model);
        _all = model.named_parameters()
            .Select(p => (p.name, p.parameter, ParameterNames.IsBias(p.name) ? settings.BiasLrMult : 1.0))
            .ToList();
    }

    /// <summary>(name, parameter, lr multiplier) in the model's order.</summary>
    public IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Param, double LrMult)> All => _all;

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
