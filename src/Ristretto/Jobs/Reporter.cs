using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Hardware;
using Ristretto.Quantization;
using Ristretto.Reports;

namespace Ristretto.Jobs;

/// <summary>Everything <see cref="Reporter"/> needs, named after the <c>report</c> verb's options.</summary>
public sealed record ReportSettings
{
    /// <summary>The model (as <see cref="ModelLoader.Load"/> reads it).</summary>
    public string? Model { get; init; }

    /// <summary>A caffemodel for a prototxt model.</summary>
    public string? Weights { get; init; }

    /// <summary>The device for evaluating plans.</summary>
    public string? Device { get; init; }

    /// <summary>The plan files reported on.</summary>
    public IReadOnlyList<string> Plans { get; init; } = [];

    /// <summary>The report folder (written all at once; replaced if it exists).</summary>
    public required string Folder { get; init; }

    /// <summary>The accelerator the costs are for.</summary>
    public AcceleratorOptions Accelerator { get; init; } = new();

    /// <summary>Cost weighted layers a plan does not list as float32 instead of refusing the plan.</summary>
    public bool AllowFloatLayers { get; init; }

    /// <summary>Data to score every plan on (null: plans keep the accuracy their files carry).</summary>
    public DataSettings? Data { get; init; }

    /// <summary>Test batch size when scoring.</summary>
    public int BatchSize { get; init; } = 100;
}

/// <summary>
/// The <c>report</c> job as a library call: every plan checked against the network before any work, optionally
/// scored on data, then the report folder (Markdown, HTML, JSON, charts) written at once.
/// </summary>
public static class Reporter
{
    /// <summary>Runs the job; the result's <see cref="ReportResult.ToJson"/> is the report's JSON.</summary>
    public static ReportResult Run(ReportSettings settings, IJobObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.BatchSize < 1)
            throw new RistrettoException($"--batch-size must be ≥ 1, got {settings.BatchSize}");
        observer ??= JobObserver.Silent;
        var plans = settings.Plans.Select(ReportPlan.Load).ToList();
        var dev = DeviceSelector.Resolve(settings.Device);
        using var loaded = ModelLoader.Load(settings.Model, dev, settings.Weights, applyQuantization: false, observer);
        var network = loaded.Network("reported on");
        var options = new ReportOptions { Accelerator = settings.Accelerator, AllowFloatLayers = settings.AllowFloatLayers, ModelSource = loaded.Path };
        ReportData.Compute(network, plans, options); // every plan checked before any evaluation or file
        PlanAccuracy? baseline = null;
        if (settings.Data is { } data)
            (baseline, plans) = Evaluate(network, plans, data, ModelLoader.RememberedPreprocessing(loaded.Path), dev, settings.BatchSize, observer, cancel);
        var compression = Compressor.CostOf(loaded, options: settings.Accelerator);
        return ReportWriter.Write(network, plans, options, settings.Folder, baseline, compression);
    }

    private static (PlanAccuracy, List<ReportPlan>) Evaluate(Network network, List<ReportPlan> plans, DataSettings settings, Data.Images.Preprocessing? remembered,
        TorchSharp.torch.Device dev, int batchSize, IJobObserver observer, CancellationToken cancel)
    {
        using var job = JobData.Open(settings, network.Inputs[0].Shape, dev, eval: true, train: false, calibration: false, remembered, observer.Info);
        var test = job.Eval!;
        var all = new[] { (Name: ReportPlan.BaselineName, Plan: QuantizationPlan.Float) }.Concat(plans.Select(p => (p.Name, p.Plan))).ToList();
        var scores = observer.Stage("evaluating plans", all.Count, report =>
        {
            var list = new List<PlanAccuracy>();
            foreach (var (name, plan) in all)
            {
                cancel.ThrowIfCancellationRequested();
                using var quantized = new QuantizedNetwork(network, plan);
                var s = Evaluator.Evaluate(quantized, test, batchSize);
                list.Add(new PlanAccuracy(s.Top1, s.Top5, $"evaluated on {s.Images:N0} images"));
                report(list.Count, name);
            }
            return list;
        });
        return (scores[0], plans.Select((p, i) => p with { Accuracy = scores[i + 1] }).ToList());
    }
}
