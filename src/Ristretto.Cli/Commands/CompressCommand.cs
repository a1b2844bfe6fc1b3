using System.CommandLine;
using System.Globalization;
using Ristretto.Cli.Infrastructure;
using Ristretto.Compression;
using Ristretto.Finetuning;
using Ristretto.Hardware;
using Ristretto.Jobs;

namespace Ristretto.Cli.Commands;

/// <summary>
/// <c>ristretto compress --prune … --share … --prune-filters … --low-rank … [--plan PLAN] --out OUT.rstm</c>: Deep
/// Compression's pruning and weight sharing, structured pruning and low rank, fine-tuned in one run with the progress,
/// checkpoints and resume of <c>finetune</c>. Writes OUT (weights, masks, codebooks, factors) and STEM.plan.json.
/// </summary>
public static class CompressCommand
{
    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "The float model: a zoo .rstm (default: the embedded LeNet trained on MNIST)." };
        var prune = new Option<string?>("--prune") { Description = "Magnitude pruning: the fraction of weights set to zero, in [0, 1): S for every weighted layer, or LAYER=S,LAYER=S." };
        var scope = new Option<string>("--prune-scope") { Description = "layer: each layer pruned to its sparsity; global: one magnitude threshold over all layers (with --prune S).", DefaultValueFactory = _ => "layer" };
        scope.AcceptOnlyFromAmong("layer", "global");
        var steps = CommonOptions.PositiveInt("--prune-steps", "Pruning steps N of the iterative schedule: step k keeps (1 − sparsity)^(k/N) of the weights; fine-tuning after each.", new CompressionRecipe().PruneSteps);
        var share = new Option<string?>("--share") { Description = "Weight sharing: index bits B (2^B k-means centroids) for every weighted layer, or LAYER=B,LAYER=B." };
        var filters = new Option<string?>("--prune-filters") { Description = "Structured pruning: LAYER=F removes the fraction F of LAYER's filters with the smallest norms and rewires its readers." };
        var norm = new Option<string>("--filter-norm") { Description = "The norm that ranks filters: l1 or l2.", DefaultValueFactory = _ => "l1" };
        norm.AcceptOnlyFromAmong("l1", "l2");
        var lowRank = new Option<string?>("--low-rank") { Description = "Truncated SVD: LAYER=rank:R, LAYER=energy:E (keep E of Σσ²) or LAYER=params:F (keep at most F of the weights)." };
        var plan = new Option<string?>("--plan") { Description = "A JSON plan to compose with (from quantize --plan): its formats trim in fine-tuning; its weight format is the codebook entries' format." };
        var output = new Option<string>("--out") { Description = "The compressed model to write (.rstm); checkpoints go to OUT.ckpt, the plan to STEM.plan.json.", Required = true };
        var weights = CommonOptions.Weights();
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("compress", "Prune, share weights, remove filters and factorise layers, fine-tuning in between (Deep Compression and low rank).")
        {
            model, weights, prune, scope, steps, share, filters, norm, lowRank, plan, output, device, json,
        };
        var finetune = new FinetuneOptionSet(command, 3000, phased: true, FinetuneOptions.RistrettoRecipe); // its documented figures were measured with it
        var data = new DataOptions(command, training: true);
        command.SetAction(r => CommandRunner.Run(cancel =>
        {
            var options = finetune.Options(r);
            var recipe = new CompressionRecipe
            {
                Prune = CompressionRecipe.ParseMap(r.GetValue(prune), "--prune", v => CompressionRecipe.ParseNumber(v, "--prune")),
                GlobalPrune = r.GetValue(scope) == "global",
                PruneSteps = r.GetValue(steps),
                Share = CompressionRecipe.ParseMap(r.GetValue(share), "--share", v => int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture)),
                PruneFilters = CompressionRecipe.ParseMap(r.GetValue(filters), "--prune-filters", v => CompressionRecipe.ParseNumber(v, "--prune-filters")),
                FilterNorm = r.GetValue(norm)!,
                LowRank = CompressionRecipe.ParseMap(r.GetValue(lowRank), "--low-rank", v => v),
            };
            var dataSettings = data.Settings(r);
            dataSettings = dataSettings with { Streaming = dataSettings.Streaming with { Seed = options.Solver.Seed } };
            var settings = new CompressSettings(r.GetValue(model), r.GetValue(weights), recipe, r.GetValue(plan), r.GetValue(output)!, options,
                finetune.IterationsGiven(r), finetune.TestIterations(r), finetune.Snapshot(r), finetune.Resume(r), r.GetValue(device), dataSettings);
            var result = Compressor.Run(settings, ProgressDisplay.Observer, cancel);
            if (result.Cancelled)
                return CommandRunner.Interrupted;
            Render(result);
            JobJson.Write(r.GetValue(json), result.ToJson());
            return 0;
        }));
        return command;
    }

    private static void Render(CompressResult r)
    {
        foreach (var (iteration, result) in r.Tests)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  iteration {iteration,6:N0}: top-1 {100 * result.Top1:F2} %"));
        var after = r.After!;
        Console.WriteLine($"compressed: {JobJson.Describe(after)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"top-1 {100 * after.Top1:F2} % (float {100 * r.Float.Top1:F2} %) in {r.Iterations - r.StartIteration:N0} iterations, {r.Seconds:F1} s"));
        if (r.Cost is { } cost)
            Render(cost);
        Console.WriteLine($"compressed model written to {r.Output}; plan: {r.PlanPath}");
    }

    /// <summary>The storage formula's terms per layer and the techniques' ratios and energies (also used by report).</summary>
    public static void Render(CompressionCost cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        Console.WriteLine("storage = codes + codebook + positions + biases (bits; codes and CSR positions Huffman-coded when smaller, with their tables)");
        foreach (var l in cost.Layers)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {l.Name,-14} {l.NonZero,8:N0}/{l.Weights,-8:N0} kept ({100 * l.Density,5:F1} %)  codes {l.CodeBits,9:N0} ({l.IndexBits}-bit{(l.CodesHuffman ? ", Huffman" : "")})  codebook {l.CodebookBits,6:N0} ({l.CodebookEntries}×{l.EntryBits})  positions {l.PositionBits,9:N0} ({l.PositionScheme})  biases {l.BiasBits,7:N0}  = {l.TotalBits,10:N0}  ({(double)l.Float32Bits / Math.Max(1, l.TotalBits):F1}×)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  total {cost.TotalBits:N0} bits, {100 * cost.Density:F2} % of the weights kept; {cost.Ratio:F1}× smaller than the original's float32 {cost.OriginalFloat32Bits:N0} bits"));
        foreach (var t in cost.Techniques)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {t.Technique,-58} {t.StorageBits,12:N0} bits {t.Ratio,7:F1}×  {t.Macs,12:N0} MACs  {t.EnergyPj / 1e6,9:F3} µJ"));
    }
}
