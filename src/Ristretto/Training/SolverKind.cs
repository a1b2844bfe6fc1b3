namespace Ristretto.Training;

/// <summary>The update rule, as Caffe names its solvers.</summary>
public enum SolverKind
{
    /// <summary>Caffe's SGD with momentum (<see cref="CaffeSgd"/>).</summary>
    Sgd,
    /// <summary>Caffe's Adam (<see cref="AdamSolver"/>): momentum is β₁.</summary>
    Adam,
}
