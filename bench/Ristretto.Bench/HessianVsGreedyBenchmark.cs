using System.Globalization;
using Ristretto.Data;
using Ristretto.Jobs;
using Ristretto.Search;

namespace Ristretto.Bench;

/// <summary>
/// Issue 15's Hessian bar, as one run per model: the greedy per-layer search (<c>quantize --search per-layer</c>, the
/// per-type sweeps it starts from included), then the Hessian-guided allocation within the greedy plan's BOPs, each
/// search's cost in float-pass equivalents (<see cref="QuantizeResult.Cost"/>, everything it ran), and their ratio.
/// Models: the default LeNet, or the comma-separated .rstm paths in RISTRETTO_BENCH_MODELS. Slow (minutes per model).
/// </summary>
internal sealed class HessianVsGreedyBenchmark : IBenchmark
{
    public string Name => "hessian-vs-greedy";

    public string Description => "Hessian allocation at the greedy per-layer plan's BOPs: top-1 of both, cost ratio in float-pass equivalents (target ≤ 0.25, top-1 ≥ greedy's)";

    public void Run(BenchOptions options)
    {
        var models = Environment.GetEnvironmentVariable("RISTRETTO_BENCH_MODELS") is { Length: > 0 } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(m => (string?)m).ToList()
            : [null];
        var c = CultureInfo.InvariantCulture;
        foreach (var model in models)
        {
            var settings = new QuantizeSettings { Model = model, Device = options.Device, Data = new DataSettings().Validate(), Search = SearchKind.PerLayer };
            var greedy = Quantizer.Run(settings);
            var (layered, _) = greedy.PerLayer!.Value;
            var hessian = Quantizer.Run(settings with { Search = SearchKind.Hessian, Budget = SearchBudget.Parse(string.Create(c, $"bops={layered.Final.Bops:R}")) });
            var h = hessian.Hessian!;
            string Widths(IEnumerable<(string Layer, int W, int A)> w) => string.Join(", ", w.Select(x => $"{x.Layer} {x.W}/{x.A}"));
            Console.WriteLine(string.Create(c, $"{greedy.ModelPath}: float top-1 {100 * greedy.Baseline.Top1:F2} %"));
            Console.WriteLine(string.Create(c, $"  greedy:  {Widths(layered.Widths.Select(kv => (kv.Key, kv.Value.Weights, kv.Value.Activations)))}  {layered.Final.Bops / 1e6:F3} M BOPs  top-1 {100 * layered.Final.Top1:F2} %  cost {greedy.Cost!.Describe()}"));
            Console.WriteLine(string.Create(c, $"  hessian: {Widths(h.WeightBits.Select(kv => (kv.Key, kv.Value, h.ActivationBits[kv.Key])))}  {h.Bops / 1e6:F3} M BOPs  top-1 {100 * h.Quantized.Top1:F2} %  cost {hessian.Cost!.Describe()}"));
            foreach (var cand in h.Candidates)
                Console.WriteLine(string.Create(c, $"    {cand.Rank + 1,2}. {string.Join(" ", cand.Widths.Select(kv => $"{kv.Key} {kv.Value.Weights}/{kv.Value.Activations}")),-44} sensitivity {cand.Sensitivity,9:G3}  loss +{cand.LossIncrease,9:G3}  {(cand.Score is { } s ? (100 * s.Top1).ToString("F2", c) + " %" : "-")}{(cand.Kept ? " kept" : "")}"));
            double ratio = hessian.Cost.PassEquivalents / greedy.Cost.PassEquivalents;
            Console.WriteLine(string.Create(c, $"  top-1 hessian − greedy = {100 * (h.Quantized.Top1 - layered.Final.Top1):+0.00;-0.00} points; cost ratio hessian / greedy = {ratio:F3} (target ≤ 0.25); {greedy.Seconds() + hessian.Seconds():F0} s"));
        }
    }
}

internal static class QuantizeResultSeconds
{
    /// <summary>The search's wall time.</summary>
    public static double Seconds(this QuantizeResult r) => r.Hessian?.Seconds ?? ((r.Sweeps?.Seconds ?? 0) + (r.PerLayer?.Result.Seconds ?? 0));
}
