using Ristretto.Compression;
using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Finetuning;
using Ristretto.Hardware;
using Ristretto.Reports;

namespace Ristretto.Jobs;

/// <summary>
/// Everything <see cref="Compressor"/> needs, named after the <c>compress</c> verb's options: the float model, what to
/// compress (<see cref="CompressionRecipe"/>), an optional quantization plan composed with it (its weight formats
/// become the codebooks' entry format), the output and the fine-tuning options as in <c>finetune</c>.
/// </summary>
public sealed record CompressSettings(string? Model, string? Weights, CompressionRecipe Recipe, string? Plan, string Output,
    FinetuneOptions Options, bool IterationsGiven, int? TestIterations, int Snapshot, bool Resume, string? Device, DataSettings Data);

/// <summary>
/// What <see cref="Compressor.Run"/> did: float score, the score right after the structure edits, periodic tests,
/// the compressed score, the storage and energy by technique, and the files written; <see cref="Cancelled"/> when it
/// stopped early (the checkpoint then holds the state to resume from, mid-schedule included).
/// </summary>
public sealed record CompressResult(string ModelPath, EvalResult Float, EvalResult Before, EvalResult? After,
    IReadOnlyList<(int Iteration, EvalResult Result)> Tests, int StartIteration, int Iterations, double Seconds, bool Cancelled,
    string Output, string PlanPath, string CheckpointPath, CompressionCost? Cost)
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
        ["compression"] = Cost is null ? null : CompressionJson.Of(Cost),
        ["outputs"] = new Dictionary<string, string> { ["model"] = Output, ["plan"] = PlanPath },
    };
}
