using System.Runtime.InteropServices;
using Ristretto.Data;
using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// Measures the value ranges that fix each quantizable layer's formats (weighted layers and LRN, see
/// <see cref="QuantizedLayers.IsQuantizable"/>): max |input|, max |output| and max |weights| over the first batches of a
/// data set, in file order, without gradients. Each tensor is measured where its layer produces it (Ristretto read the
/// maxima after the whole forward pass, when an in-place ReLU had already overwritten the convolution's output). With histogram bins, a second pass over the
/// same batches records a histogram of |x| for every input and output over [0, max], and beside it the part of it that
/// counts negative values (a signed grid has one more level below zero than above it: <see cref="Search.DfpRange"/>), for
/// clipping thresholds that minimise the quantization error (<see cref="ClipThreshold"/>).
/// </summary>
public static class Calibration
{
    /// <summary>Bins of every weight histogram (<see cref="LayerRange.WeightHistogram"/>, always measured: the weights are at hand).</summary>
    public const int WeightHistogramBins = 2048;

    /// <summary>Runs <paramref name="batches"/> batches of <paramref name="batchSize"/> images of <paramref name="data"/>.</summary>
    /// <remarks>
    /// With <paramref name="outputErrors"/>, the first calibration images are kept (a bounded <see cref="OutputSample"/>), over
    /// which a weight format's error in the network's output is measured (<see cref="LayerRange.WeightOutputError"/>).
    /// </remarks>
    public static IReadOnlyDictionary<string, LayerRange> Measure(Network network, ImageDataset data, int batches = 10, int batchSize = 64,
        int histogramBins = 0, bool outputErrors = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        if (batches < 1 || batchSize < 1)
            throw new RistrettoException($"calibration needs at least one batch of one image (got {batches} × {batchSize})");
        if (histogramBins < 0)
            throw new RistrettoException($"histogram bins must be ≥ 0, got {histogramBins}");
        // Outputs whose only reader is a plain ReLU are also measured after it (LayerRange.RectifiedOutput).
        var rectified = network.Nodes.Where(n => QuantizedLayers.IsQuantizable(n.Layer) && !network.Outputs.Contains(n.Outputs[0])
                && network.Nodes.Count(m => m.Inputs.Contains(n.Outputs[0])) == 1
                && network.Nodes.First(m => m.Inputs.Contains(n.Outputs[0])).Layer is Layers.ReLULayer { NegativeSlope: 0 })
            .ToDictionary(n => n.Layer.LayerName, n => n.Outputs[0], StringComparer.Ordinal);
        var rectifiedMax = new Dictionary<string, double>(StringComparer.Ordinal);
        var rectifiedHistograms = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var blobMax = new Dictionary<string, double>(StringComparer.Ordinal);
        var blobMin = new Dictionary<string, double>(StringComparer.Ordinal);
        var histograms = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var negativeHistograms = new Dictionary<string, double[]>(StringComparer.Ordinal);
        // Only the blobs that quantizable layers read or write are measured (others may hold −∞: a max pooling's padding).
        var needed = network.Nodes.Where(n => QuantizedLayers.IsQuantizable(n.Layer)).SelectMany(n => new[] { n.Inputs[0], n.Outputs[0] })
            .ToHashSet(StringComparer.Ordinal);
        // The first images, against which a weight format's error in the network's output is measured.
        var sample = outputErrors ? new OutputSample(network) : null;
        void Note(string blob, Tensor t)
        {
            if (sample is not null && blob == network.Inputs[0].Name)
                sample.Add(t);
            if (!needed.Contains(blob))
                return;
            double m = t.abs().max().item<float>();
            if (!double.IsFinite(m))
                throw new RistrettoException($"calibration: blob '{blob}' holds non-finite values");
            blobMax[blob] = Math.Max(blobMax.GetValueOrDefault(blob), m);
            blobMin[blob] = Math.Min(blobMin.GetValueOrDefault(blob, double.PositiveInfinity), t.min().item<float>());
        }
        void Count(string blob, Tensor t)
        {
            if (!needed.Contains(blob))
                return;
            double max = blobMax[blob];
            if (!histograms.TryGetValue(blob, out var h))
                histograms[blob] = h = new double[histogramBins];
            if (!negativeHistograms.TryGetValue(blob, out var below))
                negativeHistograms[blob] = below = new double[histogramBins];
            if (max <= 0)
            {
                h[0] += t.numel();
                return;
            }
            using var cpu = t.detach().to_type(ScalarType.Float32).cpu().contiguous();
            Accumulate(MemoryMarshal.Cast<byte, float>(cpu.bytes), max, h, below);
        }
        bool wasTraining = network.training;
        network.eval();
        int count = Math.Min(batches, (data.Count + batchSize - 1) / batchSize);
        void NoteRectified(string layer, Tensor t)
        {
            double m = t.max().item<float>();
            rectifiedMax[layer] = Math.Max(rectifiedMax.GetValueOrDefault(layer), Math.Max(m, 0));
        }
        void CountRectified(string layer, Tensor t)
        {
            double max = rectifiedMax[layer];
            if (!rectifiedHistograms.TryGetValue(layer, out var h))
                rectifiedHistograms[layer] = h = new double[histogramBins];
            using var cpu = t.detach().to_type(ScalarType.Float32).cpu().contiguous();
            double perBin = max > 0 ? histogramBins / max : 0;
            foreach (float v in cpu.data<float>())
                h[v <= 0 ? 0 : Math.Min((int)(v * perBin), histogramBins - 1)]++;
        }
        void Pass(Action<string, Tensor> visit, Action<string, Tensor> visitRectified)
        {
            using var noGrad = no_grad();
            for (int b = 0; b < count; b++)
            {
                using var scope = NewDisposeScope();
                var (x, _) = data.Slice(b * batchSize, Math.Min(batchSize, data.Count - b * batchSize));
                visit(network.Inputs[0].Name, x);
                network.Run(new Dictionary<string, Tensor> { [network.Inputs[0].Name] = x }, (blob, layer, t) =>
                {
                    visit(blob, t);
                    if (rectified.TryGetValue(layer.LayerName, out var output) && output == blob)
                        visitRectified(layer.LayerName, t);
                });
            }
        }
        Pass(Note, NoteRectified);
        if (histogramBins > 0)
            Pass(Count, CountRectified);
        if (wasTraining)
            network.train();
        var ranges = new Dictionary<string, LayerRange>(StringComparer.Ordinal);
        var nonNegative = NonNegativeBlobs.Of(network, input => blobMin.TryGetValue(input, out double least) && least >= 0);
        using (no_grad())
            foreach (var node in network.Nodes.Where(n => QuantizedLayers.IsQuantizable(n.Layer)))
            {
                var (weights, bias) = node.Layer is IWeightedLayer w
                    ? ((double)w.Weight.abs().max().item<float>(), w.Bias is { } b ? (double)b.abs().max().item<float>() : 0)
                    : (0, 0);
                var weightHistograms = node.Layer is IWeightedLayer wl ? WeightHistograms(wl, weights) : (null, null);
                ranges[node.Layer.LayerName] = new LayerRange(blobMax[node.Inputs[0]], blobMax[node.Outputs[0]], weights, bias)
                {
                    WeightHistogram = weightHistograms.Positive, WeightNegativeHistogram = weightHistograms.Negative,
                    InputMin = blobMin[node.Inputs[0]], OutputMin = blobMin[node.Outputs[0]], InputNonNegative = nonNegative.Contains(node.Inputs[0]),
                    InputHistogram = histograms.GetValueOrDefault(node.Inputs[0]), OutputHistogram = histograms.GetValueOrDefault(node.Outputs[0]),
                    InputNegativeHistogram = negativeHistograms.GetValueOrDefault(node.Inputs[0]),
                    OutputNegativeHistogram = negativeHistograms.GetValueOrDefault(node.Outputs[0]),
                    RectifiedOutput = rectifiedMax.TryGetValue(node.Layer.LayerName, out var r) ? r : null,
                    RectifiedOutputHistogram = rectifiedHistograms.GetValueOrDefault(node.Layer.LayerName),
                    WeightOutputError = sample is not null && node.Layer is IWeightedLayer ? new WeightOutputError(sample, node.Layer.LayerName) : null,
                };
            }
        return ranges;
    }

    // The histogram of |w| and its part that counts the negative weights.
    private static (double[]? Positive, double[]? Negative) WeightHistograms(IWeightedLayer layer, double max)
    {
        double[] h = new double[WeightHistogramBins], below = new double[WeightHistogramBins];
        using var cpu = layer.Weight.detach().to_type(ScalarType.Float32).cpu().contiguous();
        Accumulate(MemoryMarshal.Cast<byte, float>(cpu.bytes), max, h, below);
        return (h, below);
    }

    /// <summary>
    /// Adds <paramref name="values"/> to <paramref name="histogram"/> (|x| over [0, <paramref name="max"/>] in its bins; a value
    /// beyond the maximum counts in the last bin) and the negative ones also to <paramref name="negative"/> (same bins).
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> values, double max, double[] histogram, double[] negative)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        ArgumentNullException.ThrowIfNull(negative);
        int bins = histogram.Length;
        double perBin = max > 0 ? bins / max : 0;
        foreach (float v in values)
        {
            int bin = Math.Min((int)(Math.Abs(v) * perBin), bins - 1);
            histogram[bin]++;
            if (v < 0)
                negative[bin]++;
        }
    }

    /// <summary>
    /// The clipping threshold in (0, <paramref name="max"/>] that minimises the expected squared error of a
    /// uniform grid of <paramref name="levels"/> steps over [0, threshold] (values beyond it saturate), for values
    /// distributed as <paramref name="histogram"/> (|x| over [0, max], bin centres stand for their bin).
    /// </summary>
    public static double ClipThreshold(double[] histogram, double max, long levels)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (histogram.Length == 0 || !(max > 0) || levels < 1)
            return max;
        int n = histogram.Length;
        double width = max / n;
        double best = max, bestError = double.PositiveInfinity;
        for (int k = Math.Max(1, n / 64); k <= n; k++)
        {
            double clip = k * width, step = clip / levels, error = 0;
            for (int i = 0; i < n; i++)
            {
                if (histogram[i] == 0)
                    continue;
                double x = (i + 0.5) * width;
                // Saturated values lose (x − clip)²; the others the uniform rounding error's mean square, step²/12.
                double squared = x > clip ? (x - clip) * (x - clip) : step * step / 12;
                error += histogram[i] * squared;
            }
            if (error < bestError)
                (bestError, best) = (error, clip);
        }
        return best;
    }

    /// <summary>
    /// The Kullback–Leibler divergence of a grid of <paramref name="levels"/> equal steps over [0, <paramref name="clip"/>]
    /// from the values distributed as <paramref name="histogram"/> (|x| over [0, <paramref name="max"/>]): the reference is
    /// the histogram cut at the clip with everything beyond it added to the last bin kept; the quantized form spreads each
    /// step's count evenly over that step's non-empty bins (the method TensorRT's entropy calibration made common). 0 when
    /// the grid has as many steps as the bins kept, so a wide grid ties with every clip and callers keep the widest.
    /// </summary>
    public static double KlDivergence(double[] histogram, double max, double clip, long levels)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        int n = histogram.Length;
        if (n == 0 || !(max > 0) || !(clip > 0) || levels < 1)
            return 0;
        int kept = (int)Math.Clamp(Math.Round(clip / (max / n)), 1, n);
        var p = new double[kept];
        Array.Copy(histogram, p, kept);
        for (int i = kept; i < n; i++)
            p[kept - 1] += histogram[i];
        double total = p.Sum();
        if (total <= 0 || levels >= kept)
            return 0;
        var q = new double[kept];
        int start = 0;
        for (long step = 0; step < levels; step++)
        {
            int end = (int)((step + 1) * kept / levels);
            double sum = 0;
            int nonEmpty = 0;
            for (int i = start; i < end; i++)
                if (p[i] > 0)
                {
                    sum += p[i];
                    nonEmpty++;
                }
            for (int i = start; i < end; i++)
                q[i] = p[i] > 0 ? sum / nonEmpty : 0;
            start = end;
        }
        double kl = 0;
        for (int i = 0; i < kept; i++)
            if (p[i] > 0)
                kl += p[i] / total * Math.Log(p[i] / q[i]);
        return kl;
    }
}
