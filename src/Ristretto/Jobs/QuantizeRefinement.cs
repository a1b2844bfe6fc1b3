using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.PostTraining;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Transforms;

namespace Ristretto.Jobs;

/// <summary>What the post-training steps of <c>quantize</c> did (<c>--equalize</c>, <c>--adaround</c>, <c>--bias-correction</c>).</summary>
public sealed record RefinementResult
{
    /// <summary>The pairs cross-layer equalization rescaled (before calibration), or null when not asked.</summary>
    public IReadOnlyList<EqualizedPair>? Equalized { get; init; }

    /// <summary>The chosen plan's scores with nearest rounding and the original biases (before AdaRound and bias correction).</summary>
    public EvalResult? Nearest { get; init; }

    /// <summary>AdaRound's per-layer reconstruction errors, or null.</summary>
    public IReadOnlyList<AdaRoundLayer>? AdaRound { get; init; }

    /// <summary>Bias correction's per-layer shifts, or null.</summary>
    public IReadOnlyList<BiasCorrectionLayer>? BiasCorrection { get; init; }

    /// <summary>The JSON of these steps.</summary>
    public Dictionary<string, object?> ToJson()
    {
        var json = new Dictionary<string, object?>();
        if (Equalized is { } pairs)
            json["equalized"] = pairs.Select(p => new Dictionary<string, object> { ["first"] = p.First, ["second"] = p.Second, ["channels"] = p.Channels, ["smallest_factor"] = p.SmallestFactor, ["largest_factor"] = p.LargestFactor }).ToList();
        if (Nearest is { } nearest)
            json["nearest_rounding"] = JobJson.Scores(nearest);
        if (AdaRound is { } layers)
            json["adaround"] = layers.Select(l => new Dictionary<string, object> { ["layer"] = l.Layer, ["nearest_error"] = l.NearestError, ["adaround_error"] = l.AdaRoundError, ["weights"] = l.Weights, ["flipped"] = l.Flipped, ["kept"] = l.Kept }).ToList();
        if (BiasCorrection is { } biases)
            json["bias_correction"] = biases.Select(b => new Dictionary<string, object?> { ["layer"] = b.Layer, ["channels"] = b.Channels, ["largest_shift"] = b.LargestShift, ["saturated"] = b.Saturated, ["below_step"] = b.BelowStep, ["refitted"] = b.Refitted }).ToList();
        return json;
    }
}

/// <summary>
/// The post-training steps of <c>quantize</c> around the search: cross-layer equalization of the float weights before
/// calibration, and after the search, on the chosen plan, AdaRound and then bias correction of its weights, scored again.
/// Each changes the network's weights in place; the plan goes with the changed weights (<c>--out</c> writes them).
/// </summary>
internal static class QuantizeRefinement
{
    /// <summary>Equalizes <paramref name="network"/> when asked (before calibration); null otherwise.</summary>
    public static IReadOnlyList<EqualizedPair>? Equalize(QuantizeSettings settings, Network network, IJobObserver observer)
    {
        if (!settings.Equalize)
            return null;
        var pairs = CrossLayerEqualization.Apply(network);
        observer.Info(pairs.Count == 0 ? "--equalize: no conv/FC pair joined only by ReLU, pooling, dropout or flatten; nothing rescaled"
            : $"--equalize: rescaled {string.Join(", ", pairs.Select(p => $"{p.First}→{p.Second}"))}");
        return pairs;
    }

    /// <summary>AdaRound and bias correction of <paramref name="result"/>'s plan when asked, and the plan scored again.</summary>
    public static QuantizeResult Refine(QuantizeResult result, QuantizeSettings settings, Network network, ImageDataset calibration,
        ImageDataset test, int iterations, int batchSize, Metric metric, bool fidelity, IJobObserver observer, CancellationToken cancel)
    {
        if (!settings.AdaRound && !settings.BiasCorrection)
            return result;
        var options = new AdaRoundOptions(settings.AdaRoundIterations) { Seed = settings.AdaRoundSeed };
        int images = Math.Min(options.Images, calibration.Count);
        var (x, labels) = calibration.Slice(0, images);
        using (x)
        using (labels)
        {
            IReadOnlyList<AdaRoundLayer>? rounded = null;
            IReadOnlyList<BiasCorrectionLayer>? corrected = null;
            var plan = result.Plan;
            int layers = network.Nodes.Count(n => n.Layer is IWeightedLayer && result.Plan.Layers.ContainsKey(n.Layer.LayerName));
            if (settings.AdaRound)
                rounded = observer.Stage("AdaRound", layers, p => AdaRound.Apply(network, result.Plan, x, options, p, cancel));
            if (settings.BiasCorrection)
            {
                var (layersCorrected, refitted) = observer.Stage("bias correction", 1, p =>
                {
                    var done = PostTraining.BiasCorrection.Apply(network, plan, x, options.Images, cancel);
                    p(1, "");
                    return done;
                });
                (corrected, plan) = (layersCorrected, refitted);
            }
            var rescored = observer.Stage("refined plan", 1, p =>
            {
                using var scorer = new PlanScorer(network, test, iterations, batchSize, p, cancel) { Metric = metric, MeasureFidelity = fidelity };
                return scorer.Score(plan, "refined plan");
            });
            var refinement = (result.Refinement ?? new RefinementResult()) with { Nearest = result.Quantized, AdaRound = rounded, BiasCorrection = corrected };
            return result with { Quantized = rescored, Plan = plan, Refinement = refinement };
        }
    }

    /// <summary>
    /// Writes the network with its changed weights to <paramref name="path"/> (.rstm, .onnx or .prototxt), remembering
    /// <paramref name="preprocessing"/> (the data's, as <c>finetune</c> does) so later verbs read the images the same way.
    /// </summary>
    public static void WriteModel(string path, LoadedModel loaded, Network network, QuantizationPlan plan, Data.Images.Preprocessing? preprocessing)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is not (".rstm" or ".onnx" or ".prototxt"))
            throw new RistrettoException($"--out {path}: expected a .rstm, .onnx or .prototxt file");
        if (extension == ".rstm" && (loaded.Architecture is null || !ReferenceEquals(loaded.Model, network)))
            throw new RistrettoException($"--out {path}: {loaded.Path} is not a zoo network as it stands (imported, or BatchNorm folded), so it cannot be written as .rstm; use --out NAME.onnx or NAME.prototxt");
        var metadata = new Dictionary<string, string> { ["source"] = loaded.Path };
        if (preprocessing is { } used && used != Data.Images.Preprocessing.Idx)
            Models.ModelPreprocessing.Write(metadata, used);
        Finetuner.WriteModel(path, extension, loaded.Architecture ?? network.Name, loaded.Classes, network, plan, metadata);
    }
}
