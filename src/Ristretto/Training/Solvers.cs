using static TorchSharp.torch;

namespace Ristretto.Training;

/// <summary>Makes the <see cref="ISolver"/> that <see cref="SolverSettings.Solver"/> names.</summary>
public static class Solvers
{
    /// <summary>A solver over every parameter of <paramref name="model"/>.</summary>
    public static ISolver Create(nn.Module model, SolverSettings settings) => settings.Solver switch
    {
        SolverKind.Sgd => new CaffeSgd(model, settings),
        SolverKind.Adam => new AdamSolver(model, settings),
        _ => throw new RistrettoException($"unknown solver {settings.Solver}"),
    };
}
