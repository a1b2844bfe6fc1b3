using System.Diagnostics;
using Ristretto.Data;
using static TorchSharp.torch;

namespace Ristretto.Evaluation;

/// <summary>Scores a classifier's top-1 and top-5 accuracy on a test set, batch by batch, without gradients.</summary>
public static class Evaluator
{
    /// <summary>
    /// Scores <paramref name="model"/> on the first <paramref name="maxBatches"/> batches of
    /// <paramref name="set"/> (all of it when null), in file order.
    /// </summary>
    public static EvalResult Evaluate(nn.Module<Tensor, Tensor> model, ImageDataset set, int batchSize = 100,
        int? maxBatches = null, IProgress<(int Done, int Total)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool wasTraining = model.training;
        model.eval();
        try
        {
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
    /// logits belong to the batch's dispose scope.
    /// </summary>
    public static EvalResult Evaluate(Func<int, Tensor, Tensor> logitsOf, ImageDataset set, int batchSize = 100,
        int? maxBatches = null, IProgress<(int Done, int Total)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(logitsOf);
        ArgumentNullException.ThrowIfNull(set);
        if (batchSize < 1)
            throw new RistrettoException($"batch size must be ≥ 1, got {batchSize}");
        if (maxBatches is < 1)
            throw new RistrettoException($"iterations must be ≥ 1, got {maxBatches}");
        int total = (set.Count + batchSize - 1) / batchSize;
        int batches = Math.Min(total, maxBatches ?? total);
        var watch = Stopwatch.StartNew();
        long top1 = 0, top5 = 0;
        int images = 0;
        using (no_grad())
        {
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                int start = b * batchSize;
                int count = Math.Min(batchSize, set.Count - start);
                var (x, y) = set.Slice(start, count);
                count = (int)y.shape[0]; // a streamed set may leave out unreadable images (--skip-bad-images)
                var logits = logitsOf(b, x);
                int k = (int)Math.Min(5, logits.shape[1]);
                var (_, best) = logits.topk(k, dim: 1);
                var hits = best.eq(y.unsqueeze(1));
                top1 += hits.narrow(1, 0, 1).sum().item<long>();
                top5 += hits.sum().item<long>();
                images += count;
                progress?.Report((b + 1, batches));
            }
        }
        return new EvalResult((double)top1 / images, (double)top5 / images, images, watch.Elapsed.TotalSeconds);
    }
}
