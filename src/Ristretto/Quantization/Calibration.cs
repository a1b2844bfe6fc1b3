using Ristretto.Data;
using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// Measures the value ranges that fix each weighted layer's formats: max |input|, max |output| and max
/// |weights| over the first batches of a data set, in file order, without gradients. Each tensor is
/// measured where its layer produces it (Ristretto read the maxima after the whole forward pass, when an
/// in-place ReLU had already overwritten the convolution's output).
/// </summary>
public static class Calibration
{
    /// <summary>Runs <paramref name="batches"/> batches of <paramref name="batchSize"/> images of <paramref name="data"/>.</summary>
    public static IReadOnlyDictionary<string, LayerRange> Measure(Network network, TensorImageSet data, int batches = 10, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        if (batches < 1 || batchSize < 1)
            throw new RistrettoException($"calibration needs at least one batch of one image (got {batches} × {batchSize})");
        var blobMax = new Dictionary<string, double>(StringComparer.Ordinal);
        void Note(string blob, Tensor t)
        {
            double m = t.abs().max().item<float>();
            if (!double.IsFinite(m))
                throw new RistrettoException($"calibration: blob '{blob}' holds non-finite values");
            blobMax[blob] = Math.Max(blobMax.GetValueOrDefault(blob), m);
        }
        bool wasTraining = network.training;
        network.eval();
        using (no_grad())
        {
            int count = Math.Min(batches, Math.Max(1, data.Count / batchSize));
            for (int b = 0; b < count; b++)
            {
                using var scope = NewDisposeScope();
                var (x, _) = data.Slice(b * batchSize, Math.Min(batchSize, data.Count - b * batchSize));
                Note(network.Inputs[0].Name, x);
                network.Run(new Dictionary<string, Tensor> { [network.Inputs[0].Name] = x }, (blob, _, t) => Note(blob, t));
            }
        }
        if (wasTraining)
            network.train();
        var ranges = new Dictionary<string, LayerRange>(StringComparer.Ordinal);
        using (no_grad())
            foreach (var node in network.Nodes)
                if (node.Layer is IWeightedLayer w)
                    ranges[node.Layer.LayerName] = new LayerRange(blobMax[node.Inputs[0]], blobMax[node.Outputs[0]],
                        w.Weight.abs().max().item<float>(), w.Bias is { } bias ? bias.abs().max().item<float>() : 0);
        return ranges;
    }
}
