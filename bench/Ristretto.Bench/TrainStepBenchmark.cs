using Ristretto.Jobs;
using System.Globalization;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Finetuning;
using Ristretto.Graph;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Training;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// LeNet training iterations per second (batch 64, MNIST, Caffe's solver) against fine-tuning iterations per second
/// under a 2/2/4 dynamic-fixed-point plan (conv weights 2 bits, FC weights 2 bits, activations 4 bits; straight-through
/// gradients), by Ristretto's recipe (SGD, stochastic training rounding) and by the finetune verb's defaults (Adam,
/// nearest rounding), in interleaved chunks of iterations.
/// </summary>
internal sealed class TrainStepBenchmark : IBenchmark
{
    public string Name => "train-step";

    public string Description => "LeNet train it/s vs fine-tune it/s under a 2/2/4 DFP plan, batch 64 (target fine-tune ≥ 0.8× train)";

    public void Run(BenchOptions options)
    {
        var device = DeviceSelector.Resolve(options.Device);
        var files = DatasetFiles.Resolve("mnist", Console.WriteLine);
        using var train = new TensorImageSet(files.LoadTrain(), device);
        int chunk = options.Quick ? 10 : 40;
        int rounds = options.Quick ? 5 : 7;

        using var floatNet = LeNet.Build(train.Source.Classes, seed: 3);
        floatNet.to(device);
        var trainer = new Trainer(floatNet, new SolverSettings { Iterations = 1_000_000, BatchSize = 64, Seed = 3 });
        using var trainSolver = trainer.Solver;

        Network Start()
        {
            var net = File.Exists(DefaultModels.LeNetMnistPath)
                ? (Network)ModelStore.Load(DefaultModels.LeNetMnistPath, device).Model
                : LeNet.Build(train.Source.Classes, seed: 4);
            net.to(device);
            return net;
        }
        using var tuned = Start();
        var ranges = Calibration.Measure(tuned, train, 10, 64);
        var plan = new QuantizationPlan(tuned.Nodes.Where(n => n.Layer is IWeightedLayer)
            .ToDictionary(n => n.Layer.LayerName, n => RistrettoDfpSearch.DynamicFixedPointFormats(n.Layer.LayerName, ranges[n.Layer.LayerName], 2, 4), StringComparer.Ordinal), "2/2/4");
        var finetuneOptions = FinetuneOptions.RistrettoRecipe with { Solver = FinetuneOptions.RistrettoRecipe.Solver with { Iterations = 1_000_000, BatchSize = 64, Seed = 3 }, TestInterval = 0 };
        using var finetuner = new FinetuneLoop(tuned, plan, finetuneOptions);
        // The finetune verb's defaults (Adam, cosine schedule, nearest rounding) on a copy of the same start.
        using var tunedByDefaults = Start();
        var defaults = new FinetuneOptions();
        using var defaultTuner = new FinetuneLoop(tunedByDefaults, plan, defaults with { Solver = defaults.Solver with { Iterations = 1_000_000, BatchSize = 64, Seed = 3 }, TestInterval = 0 });

        int trainAt = 0, tuneAt = 0, defaultAt = 0;
        var rates = Interleaved.Rates(rounds, chunk, 0, // one chunk per slot
            () => trainAt = Chunk(chunk, (p, c) => trainer.Run(train, trainAt, p, cancel: c)),
            () => tuneAt = Chunk(chunk, (p, c) => finetuner.Run(train, tuneAt, p, cancel: c)),
            () => defaultAt = Chunk(chunk, (p, c) => defaultTuner.Run(train, defaultAt, p, cancel: c)));
        Console.WriteLine($"device {device}; {get_num_threads()} intra-op threads; {rounds} interleaved rounds of {chunk} iterations each");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"train     it/s: {Spread.Of(rates[0]).Show("F1")}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fine-tune it/s: {Spread.Of(rates[1]).Show("F1")}  (2/2/4 DFP, Ristretto's recipe: SGD, stochastic rounding)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fine-tune it/s: {Spread.Of(rates[2]).Show("F1")}  (2/2/4 DFP, finetune's defaults: Adam, nearest rounding)"));
        Console.WriteLine($"ratio fine-tune / train, Ristretto's recipe = {Interleaved.Ratio(rates[1], rates[0]).Show()} (target ≥ 0.8)");
        Console.WriteLine($"ratio fine-tune / train, finetune's defaults = {Interleaved.Ratio(rates[2], rates[0]).Show()} (target ≥ 0.8)");
    }

    /// <summary>Runs <paramref name="count"/> iterations from where the last chunk stopped; returns the next iteration.</summary>
    private static int Chunk(int count, Func<IProgress<TrainProgress>, CancellationToken, TrainOutcome> run)
    {
        using var stop = new CancellationTokenSource();
        int seen = 0;
        var outcome = run(new Callback(() =>
        {
            if (++seen == count)
                stop.Cancel();
        }), stop.Token);
        return outcome.Iteration;
    }

    private sealed class Callback(Action onReport) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => onReport();
    }
}
