using System.Diagnostics;
using Ristretto.Data;
using static TorchSharp.torch;

namespace Ristretto.Evaluation;

/// <summary>Scores a classifier's top-1 and top-5 accuracy on a test set, batch by batch, without gradients.</summary>
public static class Evaluator
{
    /// <summary>
    /// Scores <paramref name="model"/> on the first <paramref name="maxBatches"/> batches of
    /// <paramref name="set"/> (all of it when null), in file order. A <see cref="Graph.Network"/> runs as its
    /// <see cref="EvaluationNetwork"/> (batch norms folded, batches run in slices).
    /// </summary>
    public static EvalResult Evaluate(nn.Module<Tensor, Tensor> model, ImageDataset set, int batchSize = 100,
        int? maxBatches = null, IProgress<(int Done, int Total)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            if (model is Graph.Network network)
            {
                using var prepared = EvaluationNetwork.Prepare(network);
                return Evaluate((_, x) => prepared.Forward(x), set, batchSize, maxBatches, progress);
            }
            return Evaluate((_, x) => model.forward(x), set, batchSize, maxBatches, progress);
        }
        finally
        {
            if (wasTraining)
                model.train();
        }
    }

    /// <summary>
    /// Scores the logits <paramref name="logitsOf"/> gives for (batch index, images) on the first
    /// <paramref name="maxBatches"/> batches of <paramref name="set"/>, in file order, without gradients; the
    /// logits belong to the batch's dispose scope; it runs under inference mode, in a oneDNN evaluation scope. With <paramref name="reference"/> (the float network's outputs for
    /// the same batch) the fidelity metrics are measured too: agreement of the top class, output SQNR and mean cosine
    /// similarity. <paramref name="metric"/> names the score the result is driven by (<see cref="EvalResult.Score"/>).
    /// Top-1 and top-5 are NaN for unlabelled data.
    /// </summary>
    public static EvalResult Evaluate(Func<int, Tensor, Tensor> logitsOf, ImageDataset set, int batchSize = 100,
        int? maxBatches = null, IProgress<(int Done, int Total)>? progress = null, Func<int, Tensor, Tensor>? reference = null, Metric? metric = null)
    {
        ArgumentNullException.ThrowIfNull(logitsOf);
        ArgumentNullException.ThrowIfNull(set);
        if (batchSize < 1)
            throw new RistrettoException($"batch size must be ≥ 1, got {batchSize}");
        if (maxBatches is < 1)
            throw new RistrettoException($"iterations must be ≥ 1, got {maxBatches}");
        metric ??= Metric.Top1;
        if (metric.NeedsLabels && !set.Labelled)
            throw new RistrettoException($"{set.Name} has no labels, so it cannot be scored by {metric.Name}; score it against float outputs instead (quantize --metric agreement, sqnr or cosine)");
        if (metric.NeedsReference && reference is null)
            throw new ArgumentException($"metric {metric.Name} needs the float outputs", nameof(reference));
        int total = (set.Count + batchSize - 1) / batchSize;
        int batches = Math.Min(total, maxBatches ?? total);
        var watch = Stopwatch.StartNew();
        long top1 = 0, top5 = 0, agree = 0;
        double signal = 0, noise = 0, cosine = 0;
        int images = 0;
        using (inference_mode()) // no autograd bookkeeping at all (lighter than no_grad); nothing made here is trained on
        using (Engine.OneDnn.Evaluation()) // oneDNN's convolutions, padded where libtorch's would be wrong (Engine/OneDnn)
        {
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                int start = b * batchSize;
                int count = Math.Min(batchSize, set.Count - start);
                var (x, y) = set.Slice(start, count);
                count = (int)y.shape[0]; // a streamed set may leave out unreadable images (--skip-bad-images)
                var logits = logitsOf(b, x).reshape(count, -1);
                if (set.Labelled)
                {
                    int k = (int)Math.Min(5, logits.shape[1]);
                    var (_, best) = logits.topk(k, dim: 1);
                    var hits = best.eq(y.unsqueeze(1));
                    top1 += hits.narrow(1, 0, 1).sum().item<long>();
                    top5 += hits.sum().item<long>();
                }
                if (reference != null)
                {
                    var f = reference(b, x).reshape(count, -1);
                    agree += logits.argmax(1).eq(f.argmax(1)).sum().item<long>();
                    var q = logits.to_type(ScalarType.Float64);
                    var r = f.to_type(ScalarType.Float64);
                    var e = q - r;
                    signal += r.mul(r).sum().item<double>();
                    noise += e.mul(e).sum().item<double>();
                    cosine += nn.functional.cosine_similarity(q, r, dim: 1, eps: 1e-12).sum().item<double>();
                }
                images += count;
                progress?.Report((b + 1, batches));
            }
        }
        var metrics = new Dictionary<string, double>();
        if (reference != null)
        {
            metrics[Metric.Agreement.Key] = (double)agree / images;
            metrics[Metric.Sqnr.Key] = noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
            metrics[Metric.Cosine.Key] = cosine / images;
        }
        var result = set.Labelled
            ? new EvalResult((double)top1 / images, (double)top5 / images, images, watch.Elapsed.TotalSeconds) { Metrics = metrics }
            : new EvalResult(double.NaN, double.NaN, images, watch.Elapsed.TotalSeconds) { Metrics = metrics };
        return result with { Score = metric.ValueOf(result) };
    }
}
