using Ristretto.Formats;
using Ristretto.Training;

namespace Ristretto.Finetuning;

/// <summary>
/// How a plan is fine-tuned. The solver defaults suit a trained network: SGD, lr 1e-3 fixed, momentum 0.9,
/// weight decay 5e-4, batch 64, 2,000 iterations (Ristretto's SqueezeNet demo ran 2,000).
/// </summary>
public sealed record FinetuneOptions
{
    /// <summary>Solver, schedule, batch, accumulation, iterations and seed.</summary>
    public SolverSettings Solver { get; init; } = new()
    {
        BaseLr = 1e-3, Policy = LearningRatePolicy.Fixed, Iterations = 2000, BiasLrMult = 2.0,
    };

    /// <summary>Rounding of training passes (test passes use the plan's). Ristretto: stochastic.</summary>
    public Rounding TrainingRounding { get; init; } = Rounding.Stochastic;

    /// <summary>Weight of the distillation term (0: plain cross-entropy, no teacher).</summary>
    public double DistillAlpha { get; init; }

    /// <summary>Distillation temperature.</summary>
    public double DistillTemperature { get; init; } = 4;

    /// <summary>Iterations between periodic tests (0: none).</summary>
    public int TestInterval { get; init; } = 500;

    /// <summary>Checks the options; returns them.</summary>
    public FinetuneOptions Validate()
    {
        Solver.Validate();
        if (DistillAlpha is < 0 or > 1 || double.IsNaN(DistillAlpha))
            throw new RistrettoException($"--distill must be in [0, 1], got {DistillAlpha}");
        if (!(DistillTemperature > 0))
            throw new RistrettoException($"--distill-temperature must be positive, got {DistillTemperature}");
        if (TestInterval < 0)
            throw new RistrettoException($"--test-interval must be ≥ 0, got {TestInterval}");
        return this;
    }
}
