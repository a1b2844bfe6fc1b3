using System.Text.Json;
using Ristretto.Formats;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Training;
using static TorchSharp.torch;

namespace Ristretto.Finetuning;

/// <summary>
/// A fine-tuning run's state in a model file: the shadow weights, the solver state, the iteration and the
/// solver settings (as <see cref="TrainingCheckpoint"/>), plus the plan, the fine-tuning options and any learned
/// steps (exact float32 values), so a resumed run needs nothing but the original model to continue bit for bit.
/// </summary>
public static class FinetuneCheckpoint
{
    private const string PlanKey = "finetune.plan", OptionsKey = "finetune.options", StepsKey = "finetune.steps";

    private sealed record Extra(Rounding TrainingRounding, double DistillAlpha, double DistillTemperature, int TestInterval);

    /// <summary>Writes the state atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, string architecture, int classes, FinetuneLoop finetuner, int iteration,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(finetuner);
        var o = finetuner.Options;
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [PlanKey] = PlanFile.Serialize(finetuner.Model.Plan),
            [OptionsKey] = JsonSerializer.Serialize(new Extra(o.TrainingRounding, o.DistillAlpha, o.DistillTemperature, o.TestInterval), ModelFile.Json),
        };
        if (finetuner.Model.LearnsSteps)
            meta[StepsKey] = JsonSerializer.Serialize(finetuner.Model.LearnedStepValues(), ModelFile.Json);
        TrainingCheckpoint.Save(path, architecture, classes, finetuner.Model.Network, finetuner.Solver, o.Solver, iteration, meta);
    }

    /// <summary>The iteration, options and plan a checkpoint holds; a file that is not a fine-tuning checkpoint is an error.</summary>
    public static (int Iteration, FinetuneOptions Options, QuantizationPlan Plan) Read(ModelData data, string path)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (iteration, settings) = TrainingCheckpoint.ReadState(data, path);
        if (!data.Metadata.TryGetValue(PlanKey, out var planText) || !data.Metadata.TryGetValue(OptionsKey, out var optionsText))
            throw new RistrettoException($"{path} is a training checkpoint, not a fine-tuning one (it holds no plan)");
        Extra? extra;
        try
        {
            extra = JsonSerializer.Deserialize<Extra>(optionsText, ModelFile.Json);
        }
        catch (JsonException e)
        {
            throw new RistrettoException($"{path}: malformed fine-tuning options: {e.Message.Split('\n')[0]}", e);
        }
        if (extra is null)
            throw new RistrettoException($"{path}: empty fine-tuning options");
        var options = new FinetuneOptions
        {
            Solver = settings, TrainingRounding = extra.TrainingRounding, DistillAlpha = extra.DistillAlpha,
            DistillTemperature = extra.DistillTemperature, TestInterval = extra.TestInterval,
        };
        return (iteration, options.Validate(), PlanFile.Parse(planText, path + " (plan)"));
    }

    /// <summary>Restores the shadow weights and the solver state of <paramref name="data"/> into <paramref name="finetuner"/>.</summary>
    public static void Restore(ModelData data, FinetuneLoop finetuner, string path)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(finetuner);
        ModelStore.LoadWeights(finetuner.Model.Network, data.Weights, path);
        if (finetuner.Model.LearnsSteps)
        {
            if (!data.Metadata.TryGetValue(StepsKey, out var stepsText))
                throw new RistrettoException($"{path} holds no learned steps, but its plan learns them");
            Dictionary<string, float[]>? steps;
            try
            {
                steps = JsonSerializer.Deserialize<Dictionary<string, float[]>>(stepsText, ModelFile.Json);
            }
            catch (JsonException e)
            {
                throw new RistrettoException($"{path}: malformed learned steps: {e.Message.Split('\n')[0]}", e);
            }
            finetuner.Model.RestoreLearnedSteps(steps ?? [], path);
        }
        if (data.Solver is { } state)
            finetuner.Solver.ImportState(state.Tensors);
    }
}
