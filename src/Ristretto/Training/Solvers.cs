using static TorchSharp.torch;

namespace Ristretto.Training;

/// <summary>Makes the <see cref="ISolver"/> that <see cref="SolverSettings.Solver"/> names.</summary>
public static class Solvers
{
    /// <summary>A solver over every parameter of <paramref name="model"/>.</summary>
    public static ISolver Create(nn.Module model, SolverSettings settings)
        => Create((model ?? throw new ArgumentNullException(nameof(model))).named_parameters(), settings);

    /// <summary>A solver over the named <paramref name="parameters"/>.</summary>
    public static ISolver Create(IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> parameters, SolverSettings settings)
        => settings.Solver switch
        {
            SolverKind.Sgd => new CaffeSgd(parameters, settings),
            SolverKind.Adam => new AdamSolver(parameters, settings),
            _ => throw new RistrettoException($"unknown solver {settings.Solver}"),
        };
}
