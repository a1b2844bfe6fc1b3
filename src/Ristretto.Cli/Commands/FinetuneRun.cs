using System.Globalization;
using Ristretto.Cli.Infrastructure;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Export;
using Ristretto.Finetuning;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Training;

namespace Ristretto.Cli.Commands;

/// <summary>The work of <c>ristretto finetune</c>: load, score before, fine-tune with checkpoints, snap to the grid, write, score after.</summary>
internal static class FinetuneRun
{
    public static int Execute(FinetuneRequest q, CancellationToken cancel)
    {
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

        var source = NetworkSource.Load(q.ModelQuantized ?? q.Model, device, q.Weights);
        int batchNorms = source.Network.Nodes.Count(n => n.Layer is Layers.BatchNormLayer);
        if (batchNorms > 0 && !q.KeepBatchNorm)
        {
            // A BatchNorm folded into its convolution is what an accelerator runs, so it is what gets trimmed and trained.
            using (source.Network)
                source = source with { Network = Graph.BatchNormFolding.Fold(source.Network), Architecture = null };
            int left = source.Network.Nodes.Count(n => n.Layer is Layers.BatchNormLayer);
            Log.Info($"Folded {batchNorms - left} of {batchNorms} BatchNorm layers into the layers before them (--keep-batchnorm to train them as they are)");
        }
        using var network = source.Network;
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
            ModelReference.RememberedPreprocessing(source.Path), Log.Info);
        var train = job.Train!;
        var test = job.Eval!;
        var floatScore = Evaluator.Evaluate(network, test);
        EvalResult before;
        using (var quantized = new QuantizedNetwork(network, plan))
            before = Evaluator.Evaluate(quantized, test);

        var teacherSource = options.DistillAlpha > 0 ? NetworkSource.Load(q.ModelQuantized ?? q.Model, device, q.Weights) : null;
        using var teacher = teacherSource?.Network;
        using var finetuner = new Finetuner(network, plan, options, teacher);
        if (resumeFrom != null)
        {
            FinetuneCheckpoint.Restore(resumeFrom, finetuner, checkpointPath);
            Log.Info($"Resuming from {checkpointPath} at iteration {start:N0} of {options.Solver.Iterations:N0}");
        }
        string architecture = source.Architecture ?? network.Name;
        var metadata = new Dictionary<string, string> { ["source"] = source.Path, ["dataset"] = q.Data.TrainData ?? q.Data.Data };
        if (job.Preprocessing is { } used && used != Data.Images.Preprocessing.Idx)
            ModelPreprocessing.Write(metadata, used);
        void Checkpoint(int iteration) => FinetuneCheckpoint.Save(checkpointPath, architecture, source.Classes, finetuner, iteration, metadata);

        var so = options.Solver;
        Log.Info($"Fine-tuning {network.Name} ({source.Path}) under the plan on {train.Count:N0} images ({device}): {so.Iterations:N0} iterations, " +
                 $"batch {so.BatchSize}×{so.IterSize}, {so.Solver} lr {so.BaseLr} ({so.Policy}), training rounding {options.TrainingRounding}" +
                 (options.DistillAlpha > 0 ? $", distillation α {options.DistillAlpha} T {options.DistillTemperature}" : "") +
                 (finetuner.Model.LearnsSteps ? ", learning the integer steps (" + string.Join(", ", plan.Layers.Where(l => l.Value.Learning != StepLearning.None)
                     .Select(l => $"{l.Key} {PlanFile.LearningName(l.Value.Learning)}")) + ")" : ""));
        Console.WriteLine($"float: {JsonReport.Describe(floatScore)}");
        Console.WriteLine($"quantized before fine-tuning: {JsonReport.Describe(before)}");
        var periodic = new PeriodicTest(options.TestInterval, () => Evaluator.Evaluate(finetuner.Model, test, 100, q.TestIterations));
        var outcome = ProgressDisplay.Run("finetune", so.Iterations, report =>
            finetuner.Run(train, start, ProgressDisplay.ForTraining(report), q.Snapshot, Checkpoint, cancel, periodic));
        if (outcome.Cancelled)
        {
            Log.Info($"Stopped at iteration {outcome.Iteration:N0}; checkpoint written to {checkpointPath}. Continue with --resume.");
            return CommandRunner.Interrupted;
        }
        foreach (var (iteration, result) in outcome.Tests ?? [])
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  iteration {iteration,6:N0}: top-1 {100 * result.Top1:F2} %"));

        string shadowPath = stem + ".shadow.rstm";
        FinetuneCheckpoint.Save(shadowPath, architecture, source.Classes, finetuner, outcome.Iteration, metadata);
        // With learned steps the plan has moved: its scales and zero points are the trained ones.
        var finalPlan = finetuner.Model.CurrentPlan();
        finetuner.Model.SnapToGrid();
        EvalResult after;
        using (var quantized = new QuantizedNetwork(network, finalPlan))
            after = Evaluator.Evaluate(quantized, test);
        string planPathOut = stem + ".plan.json";
        WriteModel(outPath, extension, architecture, source.Classes, network, finalPlan, metadata);
        PlanFile.Save(planPathOut, finalPlan, (after.Top1, after.Top5));
        if (File.Exists(checkpointPath))
            File.Delete(checkpointPath);

        Console.WriteLine($"quantized after fine-tuning:  {JsonReport.Describe(after)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"top-1 {100 * before.Top1:F2} % → {100 * after.Top1:F2} % (float {100 * floatScore.Top1:F2} %) in {outcome.Iteration - start:N0} iterations, {outcome.Seconds:F1} s"));
        Console.WriteLine($"fine-tuned model (weights on the plan's grid) written to {outPath}; plan: {planPathOut}; shadow weights: {shadowPath}");
        JsonReport.Write(q.Json, new Dictionary<string, object?>
        {
            ["float"] = JsonReport.Accuracy(floatScore),
            ["before"] = JsonReport.Accuracy(before),
            ["after"] = JsonReport.Accuracy(after),
            ["tests"] = (outcome.Tests ?? []).Select(t => new Dictionary<string, object> { ["iteration"] = t.Iteration, ["top1"] = t.Result.Top1, ["top5"] = t.Result.Top5 }).ToList(),
            ["iterations"] = outcome.Iteration,
            ["seconds"] = Math.Round(outcome.Seconds, 3),
            ["outputs"] = new Dictionary<string, string> { ["model"] = outPath, ["plan"] = planPathOut, ["shadow"] = shadowPath },
        });
        return 0;
    }

    private static void WriteModel(string outPath, string extension, string architecture, int classes, Graph.Network network,
        QuantizationPlan plan, Dictionary<string, string> metadata)
    {
        if (extension == ".prototxt")
        {
            CaffeExport.Save(network, plan, outPath, Path.ChangeExtension(outPath, ".caffemodel"));
            return;
        }
        if (extension == ".onnx")
        {
            Onnx.OnnxExporter.Save(network, outPath, metadata.TryGetValue(ModelPreprocessing.Key, out var pre) ? new Dictionary<string, string> { [ModelPreprocessing.OnnxKey] = pre } : null);
            return;
        }
        var meta = new Dictionary<string, string>(metadata) { ["plan"] = PlanFile.Serialize(plan) };
        ModelFile.Save(outPath, ModelStore.Capture(architecture, classes, network, meta));
    }
}
