using Ristretto.Data;
using Ristretto.Graph;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Evaluation;

/// <summary>
/// The SQNR of each quantized layer's output under a plan, measured as the hardware sees it: the quantized network runs
/// with every quantized layer upstream, and each planned layer's output (after its trim; after the ReLU where a ReLU is
/// its only reader) is compared with the float network's on the same images: 10·log10(Σ y² / Σ (ŷ − y)²) over every value.
/// </summary>
public static class LayerSqnr
{
    /// <summary>SQNR in dB per planned layer, in network order (∞ where the outputs are identical).</summary>
    public static IReadOnlyList<(string Layer, double SqnrDb)> Measure(Network network, QuantizationPlan plan, ImageDataset data, int batchSize = 16, int? maxBatches = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(data);
        // Where a plain ReLU is a layer's only reader, the ReLU's output is compared: what the next layer reads, and what a
        // requantization that folds the ReLU (an unsigned output format) produces.
        var layers = network.Nodes.Where(n => plan.Layers.TryGetValue(n.Layer.LayerName, out var q) && !q.IsFloat)
            .Select(n =>
            {
                var readers = network.Nodes.Where(m => m.Inputs.Contains(n.Outputs[0])).ToList();
                return readers is [{ Layer: Layers.ReLULayer { NegativeSlope: 0 } } relu] && !network.Outputs.Contains(n.Outputs[0])
                    ? (Layer: n.Layer.LayerName, Blob: relu.Outputs[0], Producer: relu.Layer.LayerName)
                    : (Layer: n.Layer.LayerName, Blob: n.Outputs[0], Producer: n.Layer.LayerName);
            }).ToList();
        var blobs = layers.ToDictionary(l => l.Blob, l => (l.Layer, l.Producer), StringComparer.Ordinal);
        var signal = layers.ToDictionary(l => l.Layer, _ => 0.0);
        var noise = layers.ToDictionary(l => l.Layer, _ => 0.0);
        bool wasTraining = network.training;
        network.eval();
        using var quantized = new QuantizedNetwork(network, plan);
        quantized.eval();
        int total = (data.Count + batchSize - 1) / batchSize;
        int batches = Math.Min(total, maxBatches ?? total);
        try
        {
            using var noGrad = no_grad();
            using var onednn = Engine.OneDnn.Evaluation(); // the same convolution kernels as the evaluator's passes
            for (int b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                var (x, _) = data.Slice(b * batchSize, Math.Min(batchSize, data.Count - b * batchSize));
                var reference = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                // A layer's output is copied when produced: an in-place ReLU after it would overwrite it.
                network.Run(new Dictionary<string, Tensor> { [network.Inputs[0].Name] = x }, (blob, layer, t) =>
                {
                    if (blobs.TryGetValue(blob, out var at) && at.Producer == layer.LayerName)
                        reference[at.Layer] = t.to_type(ScalarType.Float64).clone();
                });
                quantized.Run(x, (blob, layer, t) =>
                {
                    if (!blobs.TryGetValue(blob, out var at) || at.Producer != layer.LayerName || !reference.TryGetValue(at.Layer, out var f))
                        return;
                    string name = at.Layer;
                    var q = t.to_type(ScalarType.Float64);
                    var e = q - f;
                    signal[name] += f.mul(f).sum().item<double>();
                    noise[name] += e.mul(e).sum().item<double>();
                });
            }
        }
        finally
        {
            if (wasTraining)
                network.train();
        }
        return layers.Select(l => (l.Layer, noise[l.Layer] == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal[l.Layer] / noise[l.Layer]))).ToList();
    }
}
