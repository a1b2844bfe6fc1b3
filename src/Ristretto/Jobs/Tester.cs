using System.Globalization;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Jobs;

/// <summary>Everything <see cref="Tester"/> needs, named after the <c>test</c> verb's options.</summary>
public sealed record TestSettings
{
    /// <summary>The model (as <see cref="ModelLoader.Load"/> reads it).</summary>
    public required string Model { get; init; }

    /// <summary>A caffemodel for a prototxt model.</summary>
    public string? Weights { get; init; }

    /// <summary>A plan applied to the float model before scoring.</summary>
    public string? Plan { get; init; }

    /// <summary>The device.</summary>
    public string? Device { get; init; }

    /// <summary>The evaluated data.</summary>
    public DataSettings Data { get; init; } = new();

    /// <summary>Whether the data was chosen by the caller (otherwise a Caffe prototxt's TEST data layer may supply it).</summary>
    public bool DataGiven { get; init; }

    /// <summary>Test batch size.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>
    /// How a plan is computed: "simulate" (float arithmetic trimmed to the formats, the default) or "integer" (the
    /// integer-only engine, <see cref="Deploy.IntegerEngine"/>).
    /// </summary>
    public string Engine { get; init; } = "simulate";

    /// <summary>
    /// The simulation's exact mode (<see cref="QuantizedNetwork.Exact"/>): float64 arithmetic where the plan's integer
    /// grids need it, equal to the integer engine bit for bit. Only with a plan and the "simulate" engine.
    /// </summary>
    public bool Exact { get; init; }
}

/// <summary>What <see cref="Tester.Run"/> measured; <see cref="ToJson"/> is the CLI's <c>--json</c>.</summary>
public sealed record TestResult(string ModelPath, string Device, EvalResult Score)
{
    /// <summary>The JSON document of this result.</summary>
    public Dictionary<string, object> ToJson() => JobJson.Accuracy(Score);
}

/// <summary>The <c>test</c> job as a library call: a model (optionally under a plan) scored on the evaluated data.</summary>
public static class Tester
{
    /// <summary>Runs the job; <paramref name="observer"/> sees progress (with images per second) and notes.</summary>
    public static TestResult Run(TestSettings settings, IJobObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.BatchSize < 1)
            throw new RistrettoException($"--batch-size must be ≥ 1, got {settings.BatchSize}");
        observer ??= JobObserver.Silent;
        if (settings.Engine is not ("simulate" or "integer"))
            throw new RistrettoException($"--engine {settings.Engine}: expected simulate or integer");
        if (settings.Engine == "integer" && settings.Plan is null)
            throw new RistrettoException("--engine integer runs a plan: give --plan PLAN.json");
        if (settings.Exact && settings.Plan is null)
            throw new RistrettoException("--exact simulates a plan exactly: give --plan PLAN.json");
        if (settings.Exact && settings.Engine != "simulate")
            throw new RistrettoException("--exact is a mode of --engine simulate; the integer engine is exact by construction");
        var dev = DeviceSelector.Resolve(settings.Device);
        using var loaded = ModelLoader.Load(settings.Model, dev, settings.Weights, observer: observer);
        var plan = settings.Plan is { } planPath ? PlanFile.Load(planPath) : null;
        using nn.Module<Tensor, Tensor>? quantized = plan is null ? null
            : settings.Engine == "integer" ? IntegerEngine(loaded.Network("given a plan"), plan, observer)
            : settings.Exact ? QuantizedNetwork.Exact(loaded.Network("given a plan"), plan)
            : new QuantizedNetwork(loaded.Network("given a plan"), plan);
        var network = (nn.Module<Tensor, Tensor>?)quantized ?? loaded.Model;
        var data = ModelLoader.WithModelData(settings.Data, loaded.Path, settings.DataGiven, observer);
        using var job = JobData.Open(data, loaded.Network("read image data with").Inputs[0].Shape, dev, eval: true, train: false, calibration: false,
            ModelLoader.RememberedPreprocessing(loaded.Path), observer.Info);
        var testSet = job.Eval!;
        int size = settings.BatchSize;
        int total = (testSet.Count + size - 1) / size;
        cancel.ThrowIfCancellationRequested();
        var score = observer.Stage("test", total, report => Evaluator.Evaluate(network, testSet, size, null, new Throughput(report, size)));
        return new TestResult(loaded.Path, dev.ToString(), score);
    }

    /// <summary>The integer engine, after noting each layer whose accumulator can overflow int32.</summary>
    private static Deploy.IntegerEngine IntegerEngine(Graph.Network network, QuantizationPlan plan, IJobObserver observer)
    {
        var engine = new Deploy.IntegerEngine(network, plan);
        foreach (var layer in engine.Arithmetic.Where(a => a.NeedsInt64))
            observer.Info(layer.Describe());
        return engine;
    }

    /// <summary>Batches done, with the images per second so far (decoding and the model together).</summary>
    private sealed class Throughput(Action<int, string> report, int batchSize) : IProgress<(int Done, int Total)>
    {
        private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();

        public void Report((int Done, int Total) value) =>
            report(value.Done, string.Create(CultureInfo.InvariantCulture,
                $"{value.Done * (double)batchSize / Math.Max(_watch.Elapsed.TotalSeconds, 1e-9):N0} images/s"));
    }
}
