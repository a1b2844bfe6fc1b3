using System.CommandLine;
using Ristretto.Finetuning;
using Ristretto.Formats;
using Ristretto.Training;

namespace Ristretto.Cli.Infrastructure;

/// <summary>
/// The fine-tuning options, one definition for every verb that fine-tunes (<c>finetune</c>, and <c>compress</c> as part
/// of its job), so they keep the same names and meanings: solver, schedule, batch, rounding, distillation, tests, seed,
/// snapshots and resume. Each verb passes its defaults (<c>finetune</c>: <see cref="FinetuneOptions"/>'s; <c>compress</c>:
/// <see cref="FinetuneOptions.RistrettoRecipe"/>).
/// </summary>
public sealed class FinetuneOptionSet
{
    private readonly Option<int> _iterations, _batch, _iterSize, _stepSize, _testInterval, _snapshot;
    private readonly Option<SolverKind> _solver;
    private readonly Option<double> _lr, _gamma, _momentum, _decay, _distill, _temperature;
    private readonly Option<LearningRatePolicy> _policy;
    private readonly Option<string> _rounding;
    private readonly Option<int?> _testIterations;
    private readonly Option<ulong> _seed;
    private readonly Option<bool> _resume;
    private readonly SolverSettings _defaults;

    /// <summary>
    /// Adds the options to <paramref name="command"/> with <paramref name="defaults"/> as their defaults (null: a new
    /// <see cref="FinetuneOptions"/>'s) and <paramref name="iterations"/> as the default run length (null: the defaults');
    /// <paramref name="phased"/>: the run is split into phases (compress's schedule).
    /// </summary>
    public FinetuneOptionSet(Command command, int? iterations = null, bool phased = false, FinetuneOptions? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        defaults ??= new FinetuneOptions();
        var s = _defaults = defaults.Solver with { Iterations = iterations ?? defaults.Solver.Iterations };
        _iterations = CommonOptions.PositiveInt("--iterations", phased ? "Fine-tuning iterations (solver updates), all phases together." : "Fine-tuning iterations (solver updates).", s.Iterations);
        _batch = CommonOptions.PositiveInt("--batch-size", "Training batch size.", s.BatchSize);
        _iterSize = CommonOptions.PositiveInt("--iter-size", "Batches accumulated per update (Caffe's iter_size).", s.IterSize);
        _solver = new Option<SolverKind>("--solver") { Description = "Sgd (Caffe's, with momentum) or Adam.", DefaultValueFactory = _ => s.Solver };
        _lr = new Option<double>("--lr") { Description = "Base learning rate.", DefaultValueFactory = _ => s.BaseLr };
        _policy = new Option<LearningRatePolicy>("--lr-policy") { Description = "Schedule: Fixed, Step, Inv, Cosine.", DefaultValueFactory = _ => s.Policy };
        _gamma = new Option<double>("--gamma") { Description = "γ of the Step and Inv schedules.", DefaultValueFactory = _ => 0.1 };
        _stepSize = new Option<int>("--step-size") { Description = "Iterations per step of the Step schedule.", DefaultValueFactory = _ => 1000 };
        _momentum = new Option<double>("--momentum") { Description = "SGD momentum, or Adam's β₁.", DefaultValueFactory = _ => s.Momentum };
        _decay = new Option<double>("--weight-decay") { Description = "L2 weight decay.", DefaultValueFactory = _ => s.WeightDecay };
        _rounding = new Option<string>("--train-rounding") { Description = "Rounding in training passes: nearest (the weights the tests use) or stochastic (Ristretto's). Tests use the plan's.",
            DefaultValueFactory = _ => defaults.TrainingRounding == Rounding.Nearest ? "nearest" : "stochastic" };
        _rounding.AcceptOnlyFromAmong("stochastic", "nearest");
        _distill = new Option<double>("--distill") { Description = "Weight α in [0, 1] of knowledge distillation from the float model (0: off).", DefaultValueFactory = _ => defaults.DistillAlpha };
        _temperature = new Option<double>("--distill-temperature") { Description = "Distillation temperature.", DefaultValueFactory = _ => defaults.DistillTemperature };
        _testInterval = new Option<int>("--test-interval") { Description = "Test every N iterations (0: only before and after).", DefaultValueFactory = _ => defaults.TestInterval };
        _testIterations = new Option<int?>("--test-iterations") { Description = "Test batches (of 100) per periodic test (default: the whole test set)." };
        _seed = new Option<ulong>("--seed") { Description = "Seed of the data order and the stochastic rounding.", DefaultValueFactory = _ => s.Seed };
        _snapshot = new Option<int>("--snapshot") { Description = "Write a checkpoint every N iterations (0: only on Ctrl+C).", DefaultValueFactory = _ => 1000 };
        _resume = new Option<bool>("--resume") { Description = phased ? "Continue from OUT.ckpt with its recipe, plan, settings and state (give the same --model)." : "Continue from OUT.ckpt with its plan, settings and state (give the same --model)." };
        foreach (var o in new Option[] { _iterations, _batch, _iterSize, _solver, _lr, _policy, _gamma, _stepSize, _momentum, _decay, _rounding, _distill,
                     _temperature, _testInterval, _testIterations, _seed, _snapshot, _resume })
            command.Options.Add(o);
    }

    /// <summary>The validated fine-tuning options.</summary>
    public FinetuneOptions Options(ParseResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.GetValue(_snapshot) < 0)
            throw new RistrettoException($"--snapshot must be ≥ 0, got {r.GetValue(_snapshot)}");
        if (r.GetValue(_testIterations) is < 1)
            throw new RistrettoException($"--test-iterations must be ≥ 1, got {r.GetValue(_testIterations)}");
        return new FinetuneOptions
        {
            Solver = _defaults with
            {
                Iterations = r.GetValue(_iterations), BatchSize = r.GetValue(_batch), IterSize = r.GetValue(_iterSize),
                Solver = r.GetValue(_solver), BaseLr = r.GetValue(_lr), Policy = r.GetValue(_policy), Gamma = r.GetValue(_gamma),
                StepSize = r.GetValue(_stepSize), Momentum = r.GetValue(_momentum), WeightDecay = r.GetValue(_decay), Seed = r.GetValue(_seed),
            },
            TrainingRounding = r.GetValue(_rounding) == "nearest" ? Rounding.Nearest : Rounding.Stochastic,
            DistillAlpha = r.GetValue(_distill), DistillTemperature = r.GetValue(_temperature), TestInterval = r.GetValue(_testInterval),
        }.Validate();
    }

    /// <summary>Whether --iterations was given.</summary>
    public bool IterationsGiven(ParseResult r) => r.GetResult(_iterations) is { Implicit: false };

    /// <summary>--test-iterations.</summary>
    public int? TestIterations(ParseResult r) => r.GetValue(_testIterations);

    /// <summary>--snapshot.</summary>
    public int Snapshot(ParseResult r) => r.GetValue(_snapshot);

    /// <summary>--resume.</summary>
    public bool Resume(ParseResult r) => r.GetValue(_resume);
}
