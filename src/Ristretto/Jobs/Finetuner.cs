using System.Globalization;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Finetuning;
using Ristretto.Interchange.Caffe.RistrettoLayers;
using Ristretto.Interchange.Caffe.Writer;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Training;
using Ristretto.Transforms;

namespace Ristretto.Jobs;

/// <summary>
/// Everything <see cref="Finetuner"/> needs, named after the <c>finetune</c> verb's options: the model and the plan
/// to fine-tune into (a plan file, or the plan a Ristretto prototxt carries), the output, the solver and schedule.
/// </summary>
public sealed record FinetuneSettings(string? Model, string? Weights, string? Plan, string? ModelQuantized, string Output,
    FinetuneOptions Options, bool IterationsGiven, int? TestIterations, int Snapshot, bool Resume, bool KeepBatchNorm, string? Device, DataSettings Data,
    StepLearning? LearnSteps = null);

/// <summary>
/// What <see cref="Finetuner.Run"/> did: float, before and after scores, periodic tests, iterations, and the files
/// written; <see cref="Cancelled"/> when it stopped early (the checkpoint then holds the state to resume from).
/// </summary>
public sealed record FinetuneResult(string ModelPath, string NetworkName, EvalResult Float, EvalResult Before, EvalResult? After,
    IReadOnlyList<(int Iteration, EvalResult Result)> Tests, int StartIteration, int Iterations, double Seconds, bool Cancelled,
    string Output, string PlanPath, string ShadowPath, string CheckpointPath)
{
    /// <summary>The JSON document of this result (the CLI's <c>--json</c>).</summary>
    public Dictionary<string, object?> ToJson() => new()
    {
        ["float"] = JobJson.Accuracy(Float),
        ["before"] = JobJson.Accuracy(Before),
        ["after"] = After is null ? null : JobJson.Accuracy(After),
        ["tests"] = Tests.Select(t => new Dictionary<string, object> { ["iteration"] = t.Iteration, ["top1"] = t.Result.Top1, ["top5"] = t.Result.Top5 }).ToList(),
        ["iterations"] = Iterations,
        ["seconds"] = Math.Round(Seconds, 3),
        ["outputs"] = new Dictionary<string, string> { ["model"] = Output, ["plan"] = PlanPath, ["shadow"] = ShadowPath },
    };
}

/// <summary>The <c>finetune</c> job as a library call: load, score before, fine-tune with checkpoints, snap to the grid, write, score after.</summary>
public static class Finetuner
{
    /// <summary>Runs the job; <paramref name="observer"/> sees progress and notes.</summary>
    public static FinetuneResult Run(FinetuneSettings q, IJobObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(q);
        observer ??= JobObserver.Silent;
        if (q.ModelQuantized != null && q.Model != null)
            throw new RistrettoException("--model-quantized is the model; give --model or --model-quantized, not both");
        if (!q.Resume && (q.Plan is null) == (q.ModelQuantized is null))
            throw new RistrettoException("give the plan to fine-tune into: --plan PLAN.json or --model-quantized PROTOTXT");
        string outPath = Path.GetFullPath(q.Output);
        string extension = Path.GetExtension(outPath).ToLowerInvariant();
        if (extension is not (".rstm" or ".prototxt" or ".onnx"))
            throw new RistrettoException($"--out {q.Output}: write a .rstm (zoo networks), an .onnx, or a .prototxt (+ .caffemodel)");
        string stem = Path.ChangeExtension(outPath, null);
        string checkpointPath = outPath + ".ckpt";
        Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
        var device = DeviceSelector.Resolve(q.Device);

        var source = LoadFloat(q.ModelQuantized ?? q.Model, device, q.Weights, observer);
        int batchNorms = source.Network("fine-tuned").Nodes.Count(n => n.Layer is Layers.BatchNormLayer);
        if (batchNorms > 0 && !q.KeepBatchNorm)
        {
            // A BatchNorm folded into its convolution is what an accelerator runs, so it is what gets trimmed and trained.
            using (source.Model)
                source = source with { Model = Transforms.BatchNormFolding.Fold(source.Network("fine-tuned")), Architecture = null };
            int left = source.Network("fine-tuned").Nodes.Count(n => n.Layer is Layers.BatchNormLayer);
            observer.Info($"Folded {batchNorms - left} of {batchNorms} BatchNorm layers into the layers before them (--keep-batchnorm to train them as they are)");
        }
        var network = source.Network("fine-tuned");
        using var owned = source;
        if (extension == ".rstm" && source.Architecture is null)
            throw new RistrettoException($"{source.Path} is not a zoo network as it stands (imported, or BatchNorm folded), so it cannot be written as .rstm; use --out NAME.onnx or NAME.prototxt");

        var options = q.Options;
        QuantizationPlan plan;
        ModelData? resumeFrom = null;
        int start = 0;
        if (q.Resume)
        {
            if (!File.Exists(checkpointPath))
                throw new RistrettoException($"--resume: {checkpointPath} does not exist");
            resumeFrom = ModelFile.Load(checkpointPath);
            var (iteration, saved, savedPlan) = FinetuneCheckpoint.Read(resumeFrom, checkpointPath);
            options = saved with { Solver = saved.Solver with { Iterations = q.IterationsGiven ? options.Solver.Iterations : saved.Solver.Iterations } };
            (plan, start) = (savedPlan, iteration);
            if (start >= options.Solver.Iterations)
                throw new RistrettoException($"--resume: {checkpointPath} already has {start} of {options.Solver.Iterations} iterations; pass a larger --iterations");
        }
        else
        {
            plan = q.Plan is { } planPath ? PlanFile.Load(planPath)
                : source.CarriedPlan ?? throw new RistrettoException($"{source.Path} has no ConvolutionRistretto/FcRistretto layers, so it carries no plan to fine-tune");
            if (q.LearnSteps is { } learning)
                plan = plan.WithLearning(learning);
        }

        using var job = JobData.Open(q.Data, network.Inputs[0].Shape, device, eval: true, train: true, calibration: false,
            ModelLoader.RememberedPreprocessing(source.Path), observer.Info);
        var train = job.Train!;
        var test = job.Eval!;
        var floatScore = Evaluator.Evaluate(network, test);
        EvalResult before;
        using (var quantized = new QuantizedNetwork(network, plan))
            before = Evaluator.Evaluate(quantized, test);

        using var teacherSource = options.DistillAlpha > 0 ? LoadFloat(q.ModelQuantized ?? q.Model, device, q.Weights, observer) : null;
        var teacher = teacherSource?.Network("fine-tuned");
        using var finetuner = new FinetuneLoop(network, plan, options, teacher);
        if (resumeFrom != null)
        {
            FinetuneCheckpoint.Restore(resumeFrom, finetuner, checkpointPath);
            observer.Info($"Resuming from {checkpointPath} at iteration {start:N0} of {options.Solver.Iterations:N0}");
        }
        string architecture = source.Architecture ?? network.Name;
        var metadata = new Dictionary<string, string> { ["source"] = source.Path, ["dataset"] = q.Data.TrainData ?? q.Data.Data };
        if (job.Preprocessing is { } used && used != Data.Images.Preprocessing.Idx)
            ModelPreprocessing.Write(metadata, used);
        void Checkpoint(int iteration) => FinetuneCheckpoint.Save(checkpointPath, architecture, source.Classes, finetuner, iteration, metadata);

        var so = options.Solver;
        observer.Info($"Fine-tuning {network.Name} ({source.Path}) under the plan on {train.Count:N0} images ({device}): {so.Iterations:N0} iterations, " +
                 $"batch {so.BatchSize}×{so.IterSize}, {so.Solver} lr {so.BaseLr} ({so.Policy}), training rounding {options.TrainingRounding}" +
                 (options.DistillAlpha > 0 ? $", distillation α {options.DistillAlpha} T {options.DistillTemperature}" : "") +
                 (finetuner.Model.LearnsSteps ? ", learning the integer steps (" + string.Join(", ", plan.Layers.Where(l => l.Value.Learning != StepLearning.None)
                     .Select(l => $"{l.Key} {PlanFile.LearningName(l.Value.Learning)}")) + ")" : ""));
        observer.Info($"float: {JobJson.Describe(floatScore)}");
        observer.Info($"quantized before fine-tuning: {JobJson.Describe(before)}");
        var periodic = new PeriodicTest(options.TestInterval, () => Evaluator.Evaluate(finetuner.Model, test, 100, q.TestIterations));
        var outcome = observer.Stage("finetune", so.Iterations, report =>
            finetuner.Run(train, start, new TrainingProgress(report), q.Snapshot, Checkpoint, cancel, periodic));
        string shadowPath = stem + ".shadow.rstm";
        string planPathOut = stem + ".plan.json";
        var tests = (outcome.Tests ?? []).Select(t => (t.Iteration, t.Result)).ToList();
        if (outcome.Cancelled)
        {
            observer.Info($"Stopped at iteration {outcome.Iteration:N0}; checkpoint written to {checkpointPath}. Continue with --resume.");
            return new FinetuneResult(source.Path, network.Name, floatScore, before, null, tests, start, outcome.Iteration, outcome.Seconds, true,
                outPath, planPathOut, shadowPath, checkpointPath);
        }

        FinetuneCheckpoint.Save(shadowPath, architecture, source.Classes, finetuner, outcome.Iteration, metadata);
        // With learned steps the plan has moved: its scales and zero points are the trained ones.
        var finalPlan = finetuner.Model.CurrentPlan();
        finetuner.Model.SnapToGrid();
        EvalResult after;
        using (var quantized = new QuantizedNetwork(network, finalPlan))
            after = Evaluator.Evaluate(quantized, test);
        WriteModel(outPath, extension, architecture, source.Classes, network, finalPlan, metadata);
        PlanFile.Save(planPathOut, finalPlan, (after.Top1, after.Top5));
        if (File.Exists(checkpointPath))
            File.Delete(checkpointPath);

        return new FinetuneResult(source.Path, network.Name, floatScore, before, after, tests, start, outcome.Iteration, outcome.Seconds, false,
            outPath, planPathOut, shadowPath, checkpointPath);
    }

    /// <summary>
    /// <paramref name="spec"/> loaded in float form as a graph network; a Ristretto prototxt's formats come back as
    /// <see cref="LoadedModel.CarriedPlan"/>.
    /// </summary>
    private static LoadedModel LoadFloat(string? spec, TorchSharp.torch.Device device, string? weights, IJobObserver observer)
    {
        var loaded = ModelLoader.Load(spec, device, weights, applyQuantization: false, observer);
        if (loaded.Model is Graph.Network)
            return loaded;
        loaded.Dispose();
        throw new RistrettoException($"{loaded.Path}: only graph networks can be fine-tuned");
    }

    internal static void WriteModel(string outPath, string extension, string architecture, int classes, Graph.Network network,
        QuantizationPlan plan, Dictionary<string, string> metadata)
    {
        if (extension == ".prototxt")
        {
            CaffeExport.Save(network, plan, outPath, Path.ChangeExtension(outPath, ".caffemodel"));
            return;
        }
        if (extension == ".onnx")
        {
            Interchange.Onnx.Exporter.OnnxExporter.Save(network, outPath, metadata.TryGetValue(ModelPreprocessing.Key, out var pre) ? new Dictionary<string, string> { [ModelPreprocessing.OnnxKey] = pre } : null);
            return;
        }
        var meta = new Dictionary<string, string>(metadata) { ["plan"] = PlanFile.Serialize(plan) };
        ModelFile.Save(outPath, ModelStore.Capture(architecture, classes, network, meta));
    }
}
