namespace Ristretto.Training;

/// <summary>Learning-rate schedules, as Caffe names them.</summary>
public enum LearningRatePolicy
{
    /// <summary>lr = base_lr.</summary>
    Fixed,
    /// <summary>lr = base_lr · (1 + γ·iter)^(−power).</summary>
    Inv,
    /// <summary>lr = base_lr · γ^⌊iter / stepsize⌋.</summary>
    Step,
    /// <summary>lr = base_lr · ½ (1 + cos(π · iter / max_iter)) (SGDR without restarts).</summary>
    Cosine,
}

/// <summary>
/// SGD settings. The defaults are Caffe's <c>lenet_solver.prototxt</c>: base_lr 0.01, momentum 0.9,
/// weight_decay 5e-4, "inv" policy with γ = 1e-4 and power 0.75, batch 64, 10,000 iterations, and
/// LeNet's <c>lr_mult: 2</c> on biases.
/// </summary>
public sealed record SolverSettings
{
    /// <summary>Base learning rate.</summary>
    public double BaseLr { get; init; } = 0.01;
    /// <summary>Momentum.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>L2 weight decay (applied to every parameter, as Caffe's default decay_mult 1).</summary>
    public double WeightDecay { get; init; } = 5e-4;
    /// <summary>Schedule.</summary>
    public LearningRatePolicy Policy { get; init; } = LearningRatePolicy.Inv;
    /// <summary>γ of the inv and step policies.</summary>
    public double Gamma { get; init; } = 1e-4;
    /// <summary>Power of the inv policy.</summary>
    public double Power { get; init; } = 0.75;
    /// <summary>Step size of the step policy.</summary>
    public int StepSize { get; init; } = 5000;
    /// <summary>Learning-rate multiplier of biases (Caffe LeNet: 2).</summary>
    public double BiasLrMult { get; init; } = 2.0;
    /// <summary>Training batch size.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Iterations (batches) to train.</summary>
    public int Iterations { get; init; } = 10_000;
    /// <summary>Seed of the weight initialisation and the data order.</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Visit samples in a fresh seeded permutation each epoch (Caffe read LMDB in file order).</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>The update rule.</summary>
    public SolverKind Solver { get; init; } = SolverKind.Sgd;
    /// <summary>Adam's β₂ (β₁ is <see cref="Momentum"/>, as in Caffe).</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Adam's ε.</summary>
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>
    /// Batches whose gradients are accumulated per update (Caffe's iter_size): an effective batch of
    /// <see cref="BatchSize"/> × IterSize. Each batch's loss is divided by IterSize.
    /// </summary>
    public int IterSize { get; init; } = 1;

    /// <summary>Learning rate at 0-based <paramref name="iteration"/>.</summary>
    public double LearningRate(long iteration) => Policy switch
    {
        LearningRatePolicy.Fixed => BaseLr,
        LearningRatePolicy.Inv => BaseLr * Math.Pow(1 + Gamma * iteration, -Power),
        LearningRatePolicy.Step => BaseLr * Math.Pow(Gamma, iteration / StepSize),
        LearningRatePolicy.Cosine => BaseLr * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(iteration, Iterations) / Iterations)),
        _ => throw new ArgumentOutOfRangeException(nameof(Policy)),
    };

    /// <summary>Throws <see cref="RistrettoException"/> for settings that cannot train.</summary>
    public SolverSettings Validate()
    {
        if (!(BaseLr > 0) || !double.IsFinite(BaseLr)) throw new RistrettoException($"learning rate must be positive, got {BaseLr}");
        if (Momentum is < 0 or >= 1) throw new RistrettoException($"momentum must be in [0, 1), got {Momentum}");
        if (WeightDecay < 0) throw new RistrettoException($"weight decay must be ≥ 0, got {WeightDecay}");
        if (BatchSize < 1) throw new RistrettoException($"batch size must be ≥ 1, got {BatchSize}");
        if (Iterations < 1) throw new RistrettoException($"iterations must be ≥ 1, got {Iterations}");
        if (Policy == LearningRatePolicy.Step && StepSize < 1) throw new RistrettoException($"step size must be ≥ 1, got {StepSize}");
        if (IterSize < 1) throw new RistrettoException($"iter size (gradient accumulation) must be ≥ 1, got {IterSize}");
        if (Solver == SolverKind.Adam && (Beta2 is < 0 or >= 1 || !(Epsilon > 0)))
            throw new RistrettoException($"Adam needs β₂ in [0, 1) and ε > 0, got {Beta2} and {Epsilon}");
        return this;
    }
}
