using Ristretto.Graph;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.PostTraining;

/// <summary>
/// What one weighted layer sees on calibration images: its input as the quantized network delivers it (every layer
/// upstream trimmed by the plan, this layer's own input trim applied), and its output in the float network (before any
/// in-place activation). The targets of the post-training steps (<see cref="AdaRound"/>, <see cref="BiasCorrection"/>).
/// </summary>
internal static class LayerCapture
{
    /// <summary>Images per forward pass while capturing.</summary>
    private const int Batch = 128;

    /// <summary>
    /// The float outputs of <paramref name="layers"/> on <paramref name="images"/>, captured in one pass before any step
    /// changes a weight (the targets stay those of the float network).
    /// </summary>
    public static Dictionary<string, Tensor> FloatOutputs(Network network, IReadOnlyCollection<LayerNode> layers, Tensor images)
    {
        var wanted = layers.ToDictionary(n => n.Layer.LayerName, n => n.Outputs[0], StringComparer.Ordinal);
        var parts = wanted.Keys.ToDictionary(k => k, _ => new List<Tensor>(), StringComparer.Ordinal);
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            for (long start = 0; start < images.shape[0]; start += Batch)
            {
                using var scope = NewDisposeScope();
                var x = images.narrow(0, start, Math.Min(Batch, images.shape[0] - start));
                network.Run(new Dictionary<string, Tensor> { [network.Inputs[0].Name] = x }, (blob, layer, t) =>
                {
                    if (wanted.TryGetValue(layer.LayerName, out var output) && blob == output)
                        parts[layer.LayerName].Add(t.clone().DetachFromDisposeScope());
                });
            }
            return parts.ToDictionary(p => p.Key, p => cat(p.Value, 0), StringComparer.Ordinal);
        }
        finally
        {
            foreach (var t in parts.Values.SelectMany(p => p))
                t.Dispose();
            if (wasTraining)
                network.train();
        }
    }

    /// <summary>The input of <paramref name="node"/> on <paramref name="images"/> as the quantized network delivers it, trimmed by the layer's input format.</summary>
    public static Tensor QuantizedInput(Network network, QuantizationPlan plan, LayerNode node, Tensor images)
    {
        string name = node.Layer.LayerName, inputBlob = node.Inputs[0];
        var inputs = new List<Tensor>();
        bool wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            using var quantized = new QuantizedNetwork(network, plan);
            quantized.eval();
            for (long start = 0; start < images.shape[0]; start += Batch)
            {
                using var scope = NewDisposeScope();
                var x = images.narrow(0, start, Math.Min(Batch, images.shape[0] - start));
                Tensor? seenInput = inputBlob == network.Inputs[0].Name ? x.clone() : null;
                bool reached = false;
                quantized.Run(x, (blob, layer, t) =>
                {
                    if (layer.LayerName == name)
                        reached = true;
                    else if (!reached && blob == inputBlob)
                        seenInput = t.clone();
                });
                var input = seenInput ?? throw new RistrettoException($"layer '{name}': its input '{inputBlob}' was not produced");
                if (plan.Layers.TryGetValue(name, out var spec) && spec.Input is { } format)
                    input = format.Trim(input, spec.Rounding);
                inputs.Add(input.DetachFromDisposeScope());
            }
            return cat(inputs, 0);
        }
        finally
        {
            foreach (var t in inputs)
                t.Dispose();
            if (wasTraining)
                network.train();
        }
    }
}
