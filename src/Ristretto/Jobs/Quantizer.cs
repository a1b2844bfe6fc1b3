using System.Runtime.CompilerServices;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Writer;
using Ristretto.IO;
using Ristretto.Quantization;
using Ristretto.Reports;
using Ristretto.ScaleOut;
using Ristretto.Search;

namespace Ristretto.Jobs;

/// <summary>
/// The <c>quantize</c> job as a library call: load the model and data, calibrate, run the search the settings ask for
/// (Ristretto's per-type sweeps, minifloat or power-of-two search, an optional per-layer search, or one plan of given
/// widths), and write the plan, the Ristretto prototxt and the cost report when asked.
/// </summary>
public static class Quantizer
{
    /// <summary>Runs the job; <paramref name="observer"/> sees progress and notes.</summary>
    public static QuantizeResult Run(QuantizeSettings settings, IJobObserver? observer = null, CancellationToken cancel = default)
    {
        var dryRun = new StrongBox<QuantizeResult?>();
        try
        {
            return RunJob(settings, observer, cancel, dryRun);
        }
        catch (DryRunWritten written) when (dryRun.Value is { } partial)
        {
            return partial with { DryRun = written };
        }
    }

    private static QuantizeResult RunJob(QuantizeSettings settings, IJobObserver? observer, CancellationToken cancel, StrongBox<QuantizeResult?> dryRun)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        observer ??= JobObserver.Silent;
        var margin = settings.EffectiveMargin;
        if (settings.ScaleOut?.Work is { } work)
            WorkFolder.RefuseIfLocked(work); // before the model and data are loaded
        var dev = DeviceSelector.Resolve(settings.Device);
        using var loaded = ModelLoader.Load(settings.Model, dev, settings.Weights, applyQuantization: false, observer);
        var network = loaded.Network("quantized");
        // Equalization needs batch norms folded into the layers before them (what an accelerator runs anyway).
        using var folded = settings.Equalize && network.Nodes.Any(n => n.Layer is Layers.BatchNormLayer) ? Transforms.BatchNormFolding.Fold(network) : null;
        network = folded ?? network;
        CheckKeepFloat(network, settings.KeepFloatLayers);
        var equalized = QuantizeRefinement.Equalize(settings, network, observer);
        var data = ModelLoader.WithModelData(settings.Data, loaded.Path, settings.DataGiven, observer);
        var scheme = settings.Scheme;
        var rules = settings.Compat == Compatibility.Ristretto ? RangeRules.Ristretto
            : RangeRules.Default with { WeightRange = settings.WeightCalibration ?? RangeMethod.Mse, ActivationRange = settings.ActivationCalibration ?? RangeMethod.Max };
        bool integer = settings.Mode == QuantizeMode.Integer;
        using var job = JobData.Open(data, network.Inputs[0].Shape, dev, eval: true, train: false, calibration: true,
            ModelLoader.RememberedPreprocessing(loaded.Path), observer.Info);
        var test = job.Eval!;
        bool histograms = integer ? scheme.NeedsHistograms : !rules.RistrettoLengths && rules.ActivationRange.NeedsHistogram;
        var ranges = Calibration.Measure(network, job.Calibration!, int.MaxValue, 64, histograms ? IntegerScheme.HistogramBins : 0,
            outputErrors: !integer && !rules.RistrettoLengths && (rules.WeightRange == RangeMethod.Output || settings.WeightCalibration is null));
        int size = settings.BatchSize;
        int its = (test.Count + size - 1) / size;
        // Every search's cost counts the range calibration it needs (one pass over the calibration images, two with histograms).
        var calibrated = new SearchCost(0, test.Count, CalibrationImages: (long)job.Calibration!.Count * (histograms ? 2 : 1));
        var metric = margin.Metric;
        bool fidelity = settings.ExtraMetrics.Any(m => m.NeedsReference);
        string? temporaryWork = settings.ScaleOut is { Work: null } ? Path.Combine(Path.GetTempPath(), $"ristretto-trials-{Guid.NewGuid():N}") : null;
        // A temporary trial folder goes when the job ends, failed or interrupted too (a dry run's stays: it is what was asked for).
        using var temporary = temporaryWork is not null && settings.ScaleOut is { DryRun: false } ? new TemporaryFolder(temporaryWork) : null;
        using var trials = settings.ScaleOut is { } scaleOut
            ? OpenTrials(settings, scaleOut with { Work = scaleOut.Work ?? temporaryWork, Device = scaleOut.Device ?? settings.Device },
                TrialContext.Of(ModelReference.Of(loaded.Path, settings.Weights), data, job.Preprocessing, metric, fidelity, size, its), job.CalibrationPreprocessing,
                settings.Equalize ? ScoredModel(loaded, network) : null, observer)
            : null;
        var twoLevel = settings.TwoLevel is { } two ? two with { Rules = rules } : null;
        RistrettoDfpSearch Sweeps() => integer
            ? new RistrettoDfpSearch(network, ranges, test, its, size, WithRules(scheme.Formats(network), settings), IntegerScheme.Widths, scheme.Describe())
                { WidenToMargin = !settings.NoWiden, Metric = metric, MeasureFidelity = fidelity, Trials = trials }
            : twoLevel is not null
            ? new RistrettoDfpSearch(network, ranges, test, its, size, WithRules(twoLevel.Formats(network), settings), label: twoLevel.Describe()) { Metric = metric, MeasureFidelity = fidelity, Trials = trials }
            : new RistrettoDfpSearch(network, ranges, test, its, size, WithRules(rules.DynamicFixedPoint, settings))
                {
                    // The default sweep also scores the network-output-error lengths of a weight cell where they differ from
                    // the histogram error's (train seeds 3 and 4 each need a different one at 2 bits); an explicit
                    // --weight-calibration, and --compat ristretto, keep one criterion.
                    AlternativeWeights = settings.WeightCalibration is null && !rules.RistrettoLengths
                        ? WithRules((rules with { WeightRange = RangeMethod.Output }).DynamicFixedPoint, settings) : null,
                    WidenToMargin = !settings.NoWiden, WidenToCheapest = settings.Compat != Compatibility.Ristretto, Metric = metric, MeasureFidelity = fidelity, Trials = trials };
        string describe = (integer ? scheme.Describe() : twoLevel?.Describe() ?? QuantizeModes.Name(settings.Mode))
            + (settings.LogActivations is { } k ? $", log{(k == 1 ? "2" : "√2")} activations" : "");

        QuantizeResult result;
        var scoredPlans = new List<ReportPlan>();
        // A --dry-run launcher stops the search after writing its first round (see Run).
        dryRun.Value = Result(new EvalResult(double.NaN, double.NaN, 0, 0), new EvalResult(double.NaN, double.NaN, 0, 0), QuantizationPlan.Float) with { ScaleOut = trials?.Summary };
        if ((settings.Widths ?? settings.DefaultWidths) is { } w)
        {
            var search = Sweeps();
            var plan = search.Plan(w.Conv, w.Fc, w.Activations);
            var (baseline, scored) = observer.Stage("quantize", 2, p => search.Score(plan, p, cancel));
            result = Result(baseline, scored, plan) with { Settings = settings with { Widths = w }, Cost = calibrated with { Evaluations = 2 } };
        }
        else if (settings.Search == SearchKind.Hessian)
        {
            var hessian = new HessianSearch(network, ranges, test, its, size, job.Calibration!) { Rules = rules, Metric = metric, MeasureFidelity = fidelity, Trials = trials };
            var found = observer.Stage("hessian", 2, p => hessian.Run(settings.Budget!.Allocation, p, cancel));
            result = Result(found.Baseline, found.Quantized, found.Plan) with { Hessian = found, Cost = calibrated.Plus(found.Work) };
        }
        else if (settings.Mode is QuantizeMode.DynamicFixedPoint or QuantizeMode.Integer)
        {
            var search = Sweeps();
            var sweeps = observer.Stage("quantize", search.MaxEvaluations, p => search.Run(margin.Value, p, cancel));
            result = Result(sweeps.Baseline, sweeps.Quantized, sweeps.Plan) with { Sweeps = sweeps, SweepWidths = search.SweepWidths, Cost = calibrated with { Evaluations = sweeps.Evaluations } };
            foreach (var point in sweeps.Sweeps)
            {
                var swept = point.Part switch
                {
                    "conv weights" => search.Plan(point.Bits, null, null),
                    "fc weights" => search.Plan(null, point.Bits, null),
                    _ => search.Plan(null, null, point.Bits),
                };
                scoredPlans.Add(new ReportPlan($"{point.Part} {point.Bits}-bit", swept, Accuracy(point.Top1, point.Top5, "quantize sweep")));
            }
            foreach (var step in sweeps.Combined.Where(t => (t.ConvWeightBits, t.FcWeightBits, t.ActivationBits) != (sweeps.ConvWeightBits, sweeps.FcWeightBits, sweeps.ActivationBits)))
                scoredPlans.Add(new ReportPlan($"combined {Width(step.ConvWeightBits)}/{Width(step.FcWeightBits)}/{Width(step.ActivationBits)}",
                    search.Plan(step.ConvWeightBits, step.FcWeightBits, step.ActivationBits), Accuracy(step.Top1, step.Top5, "quantize, combined")));
            if (settings.Search == SearchKind.PerLayer)
            {
                var layerSearch = new PerLayerSearch(network, ranges, test, its, size) { Rules = rules, Metric = metric, MeasureFidelity = fidelity, Trials = trials };
                int most = 2 + 2 * network.Nodes.Count(n => n.Layer is IWeightedLayer) * 4;
                var layered = observer.Stage("per-layer", most, p => layerSearch.Run(margin.Value, settings.TimeBudget, p, cancel));
                double typeCost = layerSearch.Cost(sweeps.Plan);
                scoredPlans.Add(new ReportPlan("per-type plan", sweeps.Plan, Accuracy(sweeps.Quantized.Top1, sweeps.Quantized.Top5, "quantize")));
                // CostPoint.Top1 is the driving score; top-1 and top-5 are known only when top-1 drove the search.
                var chosen = metric == Metric.Top1
                    ? sweeps.Quantized with { Top1 = layered.Final.Top1, Top5 = layered.Final.Top5, Score = layered.Final.Top1 }
                    : sweeps.Quantized with { Top1 = double.NaN, Top5 = double.NaN, Score = layered.Final.Top1, Metrics = new Dictionary<string, double> { [metric.Key] = layered.Final.Top1 } };
                // The greedy search starts from the per-type plan's sweeps, so its cost is theirs and its own moves together.
                result = result with { Plan = layered.Plan, Quantized = chosen, PerLayer = (layered, typeCost), Cost = calibrated with { Evaluations = sweeps.Evaluations + layered.Evaluations } };
            }
        }
        else if (settings.Mode == QuantizeMode.MiniFloat)
        {
            var modes = new RistrettoOtherModes(network, ranges, test, its, size) { Rules = rules, Metric = metric, MeasureFidelity = fidelity, Trials = trials };
            var found = observer.Stage("quantize", 3, p => modes.MiniFloat(margin.Value, p, cancel));
            result = Result(found.Baseline, found.Quantized, found.Plan) with { MiniFloat = found, Cost = calibrated with { Evaluations = found.Evaluations } };
        }
        else
        {
            var modes = new RistrettoOtherModes(network, ranges, test, its, size) { Rules = rules, Metric = metric, MeasureFidelity = fidelity, Trials = trials };
            var found = observer.Stage("quantize", 2, p => modes.PowerOfTwo(progress: p, cancel: cancel));
            result = Result(found.Baseline, found.Quantized, found.Plan) with { PowerOfTwo = found, Cost = calibrated with { Evaluations = found.Evaluations } };
        }
        if (trials is not null)
        {
            result = result with { ScaleOut = trials.Summary };
            if (temporaryWork is not null)
            {
                trials.Dispose();
                temporary?.Delete();
                result = result with { ScaleOut = result.ScaleOut with { Folder = "(temporary, deleted)" } };
            }
        }

        if (equalized is not null)
            result = result with { Refinement = new RefinementResult { Equalized = equalized } };
        result = QuantizeRefinement.Refine(result, settings, network, job.Calibration!, test, its, size, metric, fidelity, observer, cancel);
        if (settings.OutPath is { } outPath)
        {
            QuantizeRefinement.WriteModel(outPath, loaded, network, result.Plan, job.Preprocessing);
            result = result with { OutPath = outPath };
        }
        if (settings.QuantizedModelPath is { } prototxt)
        {
            string caffemodel = Path.ChangeExtension(prototxt, ".caffemodel");
            CaffeExport.Save(network, result.Plan, prototxt, caffemodel);
            result = result with { QuantizedModelPath = prototxt, CaffeModelPath = caffemodel };
        }
        if (settings.PlanPath is { } planPath)
        {
            var written = settings.Learning == StepLearning.None ? result.Plan : result.Plan.WithLearning(settings.Learning);
            var q = result.Quantized;
            PlanFile.Save(planPath, written, double.IsNaN(q.Top1) ? null : (q.Top1, q.Top5));
            result = result with { PlanPath = planPath };
        }
        if (settings.ReportFolder is { } folder)
        {
            scoredPlans.Add(new ReportPlan("chosen", result.Plan, Accuracy(result.Quantized.Top1, result.Quantized.Top5, "quantize")));
            var written = ReportWriter.Write(network, scoredPlans, new ReportOptions { ModelSource = loaded.Path, AllowFloatLayers = true }, folder,
                Accuracy(result.Baseline.Top1, result.Baseline.Top5, "quantize"));
            result = result with { ReportPath = Path.Combine(written.Folder, ReportWriter.HtmlFile) };
        }
        if (settings.PerLayerSqnr)
        {
            var plan = result.Plan;
            var layerDb = observer.Stage("per-layer SQNR", 1, p =>
            {
                var measured = LayerSqnr.Measure(network, plan, test, Math.Min(size, 16)); // every layer's output held at once: small batches
                p(1, "");
                return measured;
            });
            result = result with { LayerSqnr = layerDb.Select(l => (l.Layer, l.SqnrDb)).ToList() };
        }
        return result;

        QuantizeResult Result(EvalResult baseline, EvalResult quantized, QuantizationPlan plan) => new()
        {
            ModelPath = loaded.Path,
            NetworkName = network.Name,
            Settings = settings,
            Baseline = baseline,
            Quantized = quantized,
            Plan = plan,
            SchemeDescription = describe,
        };
    }

    /// <summary>
    /// Opens the work folder of a fanned-out search (refusing one of another search, or one another search holds) and its
    /// launcher. The search's identity is what decides its plans besides the trials' own context.
    /// </summary>
    /// <remarks>
    /// <paramref name="scoredModel"/>: when the search changed the weights (--equalize), the file name and writer of the
    /// network it searches, written into the folder for the trials to score (<see cref="WorkFolder.WriteModel"/>).
    /// </remarks>
    private static TrialSearch OpenTrials(QuantizeSettings settings, ScaleOutSettings scaleOut, TrialContext context, Data.Images.Preprocessing? calibrationPreprocessing,
        (string Name, Action<string> Save)? scoredModel, IJobObserver observer)
    {
        string identity = string.Join("; ",
            $"quantize --trimming-mode {QuantizeModes.Name(settings.Mode)}", $"--search {settings.Search}", $"scheme {settings.Scheme.Describe()}",
            $"--compat {settings.Compat}", $"--calibration {settings.ActivationCalibration?.ToString() ?? "default"}/{settings.MseCalibration}",
            $"--weight-calibration {settings.WeightCalibration?.ToString() ?? "default"}", $"--error-margin {settings.EffectiveMargin.Metric.Name} {settings.EffectiveMargin.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            $"--no-widen {settings.NoWiden}", $"--widths {settings.Widths?.ToString() ?? "none"}", $"--time-budget {settings.TimeBudget?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}",
            $"--keep-float-layers {string.Join(',', settings.KeepFloatLayers)}", $"--log-activations {settings.LogActivations?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}",
            $"two-level {settings.TwoLevel?.Describe() ?? "none"}", $"--budget {settings.Budget?.ToString() ?? "none"}", $"--equalize {settings.Equalize}",
            context.ToJson().ToJsonString());
        var folder = WorkFolder.OpenForSearch(scaleOut.Work!, identity, context.Model);
        try
        {
            observer.Info($"trials: {folder.Path} ({scaleOut.Describe()}{(scaleOut.DryRun ? ", dry run" : "")})");
            if (scoredModel is { } model)
            {
                context = context with { Model = folder.WriteModel(model.Name, model.Save) };
                observer.Info($"trials: they score {context.Model.Path} (the model as this search changed it)");
            }
            return new TrialSearch(folder, context, scaleOut, observer.Info) { CalibrationPreprocessing = calibrationPreprocessing };
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The network as this search changed it (batch norms folded, layers equalized), as a file a trial worker loads: a
    /// .rstm when it is still the zoo network the model file holds (its metadata kept), ONNX otherwise.
    /// </summary>
    private static (string Name, Action<string> Save) ScoredModel(LoadedModel loaded, Network network)
    {
        if (loaded.Architecture is { } architecture && ReferenceEquals(loaded.Model, network))
        {
            var metadata = new Dictionary<string, string>(Models.ModelFile.Load(loaded.Path).Metadata);
            return ("model.rstm", path => Models.ModelFile.Save(path, Models.ModelStore.Capture(architecture, loaded.Classes, network, metadata)));
        }
        return ("model.onnx", path => Interchange.Onnx.Exporter.OnnxExporter.Save(network, path));
    }

    /// <summary><paramref name="formats"/> with the settings' log activations and float layers laid over it.</summary>
    private static LayerFormats WithRules(LayerFormats formats, QuantizeSettings settings)
    {
        if (settings.LogActivations is { } k)
            formats = LayerFormatRules.LogActivations(formats, k);
        return LayerFormatRules.KeepFloat(formats, settings.KeepFloatLayers);
    }

    /// <summary>Every name of <c>--keep-float-layers</c> must be a quantizable layer of <paramref name="network"/>.</summary>
    private static void CheckKeepFloat(Network network, IReadOnlyList<string> keep)
    {
        var weighted = network.Nodes.Where(n => n.Layer is IWeightedLayer).Select(n => n.Layer.LayerName).ToList();
        if (keep.FirstOrDefault(k => !weighted.Contains(k)) is { } missing)
            throw new RistrettoException($"--keep-float-layers {missing}: {network.Name} has no convolution or inner-product layer of that name (it has {string.Join(", ", weighted)})");
    }

    /// <summary>A plan's accuracy for the report, or null when the data has no labels.</summary>
    private static PlanAccuracy? Accuracy(double top1, double top5, string origin) => double.IsNaN(top1) ? null : new PlanAccuracy(top1, top5, origin);

    private static string Width(int? bits) => bits?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "float";
}
