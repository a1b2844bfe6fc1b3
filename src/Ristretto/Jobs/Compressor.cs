using System.Text.Json;
using Ristretto.Compression;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Finetuning;
using Ristretto.Graph;
using Ristretto.Hardware;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Training;
using Ristretto.Transforms;
using Ristretto.Zoo;

namespace Ristretto.Jobs;

/// <summary>
/// The <c>compress</c> job as a library call: every option checked against the network before any work; structure
/// edits (filters removed, layers factorised); then one fine-tuning run (<see cref="FinetuneLoop"/>, with its progress,
/// tests and checkpoints) split into phases — each pruning step, then weight sharing — by a
/// <see cref="CompressionConstraint"/>; the weights snapped to the plan's grid; one .rstm holding the weights, masks,
/// codebooks and factors, and the plan.
/// </summary>
public static class Compressor
{
    /// <summary>Runs the job; <paramref name="observer"/> sees progress and notes.</summary>
    public static CompressResult Run(CompressSettings q, IJobObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(q);
        observer ??= JobObserver.Silent;
        string outPath = Path.GetFullPath(q.Output);
        if (!outPath.EndsWith(".rstm", StringComparison.OrdinalIgnoreCase))
            throw new RistrettoException($"--out {q.Output}: a compressed model is written as .rstm (export turns it into ONNX or Caffe)");
        string checkpointPath = outPath + ".ckpt";
        string planPathOut = Path.ChangeExtension(outPath, null) + ".plan.json";
        if (!q.Resume)
            q.Recipe.Validate(); // the values that need no network, before anything is loaded
        var device = DeviceSelector.Resolve(q.Device);

        using var source = ModelLoader.Load(q.Model, device, q.Weights, applyQuantization: false, observer);
        var original = source.Network("compressed");
        if (source.Architecture is null || !ModelZoo.Contains(source.Architecture))
            throw new RistrettoException($"{source.Path} is not a zoo network (.rstm), which a compressed model file needs; train or fine-tune it into a .rstm first");
        if (CompressionSection.Read(ModelFile.Load(source.Path).Metadata, source.Path) is not null)
            throw new RistrettoException($"{source.Path} is already compressed; compress its float source");

        var options = q.Options;
        CompressionRecipe recipe;
        QuantizationPlan plan;
        List<StructureEdit> structure;
        ModelData? resumeFrom = null;
        CompressionSection? resumeSection = null;
        int start = 0;
        if (q.Resume)
        {
            if (!File.Exists(checkpointPath))
                throw new RistrettoException($"--resume: {checkpointPath} does not exist");
            resumeFrom = ModelFile.Load(checkpointPath);
            resumeSection = CompressionSection.Read(resumeFrom.Metadata, checkpointPath)
                ?? throw new RistrettoException($"--resume: {checkpointPath} is not a compression checkpoint");
            recipe = ReadRecipe(resumeSection, checkpointPath);
            var (iteration, saved, savedPlan) = FinetuneCheckpoint.Read(resumeFrom, checkpointPath);
            if (q.IterationsGiven && q.Options.Solver.Iterations != saved.Solver.Iterations)
                throw new RistrettoException($"--resume: the schedule was planned over {saved.Solver.Iterations} iterations; resume without --iterations");
            options = saved;
            (plan, start, structure) = (savedPlan, iteration, resumeSection.Structure);
        }
        else
        {
            recipe = q.Recipe.Validate();
            plan = q.Plan is { } p ? PlanFile.Load(p) : QuantizationPlan.Float;
            structure = recipe.StructureEdits(original);
        }
        if (options.Solver.Iterations < recipe.Phases)
            throw new RistrettoException($"--iterations {options.Solver.Iterations} is fewer than the {recipe.Phases} phases of the schedule");

        using var network = StructureEdit.ApplyAll(original, structure);
        var constraint = new CompressionConstraint(network, recipe, options.Solver.Iterations); // checks every layer name and codebook size
        using var ownedConstraint = constraint;
        NetworkCostModel.CheckLayers(network, plan, q.Plan ?? "plan");

        using var job = JobData.Open(q.Data, network.Inputs[0].Shape, device, eval: true, train: true, calibration: false,
            ModelLoader.RememberedPreprocessing(source.Path), observer.Info);
        var train = job.Train!;
        var test = job.Eval!;
        var floatScore = Evaluator.Evaluate(original, test);
        var before = Evaluator.Evaluate(network, test);
        using var teacherSource = options.DistillAlpha > 0 ? ModelLoader.Load(q.Model, device, q.Weights, applyQuantization: false, observer) : null;
        using var finetuner = new FinetuneLoop(network, plan, options, teacherSource?.Network("a teacher"), constraint);
        constraint.Observer = (_, text) => observer.Info(text);
        if (resumeFrom != null)
        {
            FinetuneCheckpoint.Restore(resumeFrom, finetuner, checkpointPath);
            constraint.Restore(resumeSection!, checkpointPath);
            observer.Info($"Resuming from {checkpointPath} at iteration {start:N0} of {options.Solver.Iterations:N0} ({constraint.Applied} of {recipe.Phases} phases applied)");
        }
        string architecture = source.Architecture;
        var metadata = new Dictionary<string, string> { ["source"] = source.Path, ["dataset"] = q.Data.TrainData ?? q.Data.Data };
        if (job.Preprocessing is { } used && used != Data.Images.Preprocessing.Idx)
            ModelPreprocessing.Write(metadata, used);
        var recipeJson = JsonSerializer.SerializeToElement(recipe, ModelFile.Json);
        Dictionary<string, string> WithSection() => new(metadata)
        {
            [CompressionSection.Key] = new CompressionSection { Structure = structure, Layers = constraint.Layers(), Recipe = recipeJson, Phases = constraint.Applied }.Serialize(),
        };
        void Checkpoint(int iteration) => FinetuneCheckpoint.Save(checkpointPath, architecture, source.Classes, finetuner, iteration, WithSection());

        var so = options.Solver;
        observer.Info($"Compressing {network.Name} ({source.Path}) on {train.Count:N0} images ({device}): " +
            (structure.Count > 0 ? string.Join(", ", structure.Select(Describe)) + "; " : "") +
            $"{recipe.Phases} phase(s) over {so.Iterations:N0} iterations, batch {so.BatchSize}×{so.IterSize}, {so.Solver} lr {so.BaseLr} ({so.Policy})");
        observer.Info($"float: {JobJson.Describe(floatScore)}");
        if (structure.Count > 0)
            observer.Info($"after the structure edits, before fine-tuning: {JobJson.Describe(before)}");
        var periodic = new PeriodicTest(options.TestInterval, () => Evaluator.Evaluate(finetuner.Model, test, 100, q.TestIterations));
        var outcome = observer.Stage("compress", so.Iterations, report =>
            finetuner.Run(train, start, new TrainingProgress(report), q.Snapshot, Checkpoint, cancel, periodic));
        var tests = (outcome.Tests ?? []).Select(t => (t.Iteration, t.Result)).ToList();
        if (outcome.Cancelled)
        {
            observer.Info($"Stopped at iteration {outcome.Iteration:N0}; checkpoint written to {checkpointPath}. Continue with --resume.");
            return new CompressResult(source.Path, floatScore, before, null, tests, start, outcome.Iteration, outcome.Seconds, true,
                outPath, planPathOut, checkpointPath, null);
        }

        constraint.ApplyRemaining();
        finetuner.Model.SnapToGrid(); // on the plan's grid: the codebook entries take the plan's weight format, zeros stay zero
        EvalResult after;
        using (var quantized = new QuantizedNetwork(network, plan))
            after = Evaluator.Evaluate(quantized, test);
        var meta = WithSection();
        meta["plan"] = PlanFile.Serialize(plan);
        var section = CompressionSection.Read(meta, outPath)!;
        var cost = CompressionCostModel.Compute(network, section, plan, original);
        ModelFile.Save(outPath, ModelStore.Capture(architecture, source.Classes, network, meta));
        PlanFile.Save(planPathOut, plan, (after.Top1, after.Top5));
        if (File.Exists(checkpointPath))
            File.Delete(checkpointPath);
        return new CompressResult(source.Path, floatScore, before, after, tests, start, outcome.Iteration, outcome.Seconds, false,
            outPath, planPathOut, checkpointPath, cost);
    }

    /// <summary>The compression cost of a model file that carries a compression section, or null (for <c>report</c>).</summary>
    public static CompressionCost? CostOf(LoadedModel loaded, QuantizationPlan? plan = null, AcceleratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        if (!loaded.Path.EndsWith(".rstm", StringComparison.OrdinalIgnoreCase) || !File.Exists(loaded.Path))
            return null;
        var data = ModelFile.Load(loaded.Path);
        if (CompressionSection.Read(data.Metadata, loaded.Path) is not { } section)
            return null;
        plan ??= data.Metadata.TryGetValue("plan", out var text) ? PlanFile.Parse(text, loaded.Path + " (plan)") : QuantizationPlan.Float;
        using var original = ModelZoo.Create(data.Architecture, data.Classes);
        return CompressionCostModel.Compute(loaded.Network("costed"), section, plan, original, options);
    }

    private static CompressionRecipe ReadRecipe(CompressionSection section, string path)
    {
        if (section.Recipe is not { } json)
            throw new RistrettoException($"{path} holds no compression recipe to resume");
        try
        {
            return (JsonSerializer.Deserialize<CompressionRecipe>(json, ModelFile.Json) ?? throw new JsonException("empty")).Validate();
        }
        catch (JsonException e)
        {
            throw new RistrettoException($"{path}: malformed compression recipe: {e.Message.Split('\n')[0]}", e);
        }
    }

    private static string Describe(StructureEdit e) => e.Op == StructureEdit.LowRank
        ? $"{e.Layer} factorised at rank {e.Rank}"
        : $"{e.Layer} keeps {e.Keep!.Length} filters";
}
