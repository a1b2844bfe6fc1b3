using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.PostTraining;

/// <summary>One layer's bias correction: the largest per-channel shift of the output's mean removed, and how many channels the bias format could not take.</summary>
/// <param name="Layer">The layer.</param>
/// <param name="Channels">Output channels.</param>
/// <param name="LargestShift">The largest |mean error| of a channel's output before the correction.</param>
/// <param name="Saturated">Channels whose corrected bias lies outside the bias format's range (clamped to it).</param>
/// <param name="BelowStep">Channels whose correction is under half the bias format's step (the trim undoes it).</param>
/// <param name="Refitted">The dynamic-fixed-point bias format refitted (same width, a longer integer part) to hold the corrected biases, or null.</param>
public sealed record BiasCorrectionLayer(string Layer, long Channels, double LargestShift, long Saturated, long BelowStep, string? Refitted = null);

/// <summary>
/// Empirical bias correction (Nagel et al. 2019, section 4.2, from data): quantizing a layer's weights (and everything
/// upstream) shifts the mean of its output channels; the shift, measured on calibration images as the mean over images
/// and positions of (quantized output − float output) per channel, is subtracted from the bias. Layers are corrected in
/// network order, each on the outputs of the corrected layers before it. The bias format bounds what a correction can do:
/// a dynamic-fixed-point bias format that cannot hold the corrected biases is refitted at the same width to hold them (the
/// plan returned carries it); any other format clamps them to its range; a correction under half its step is undone by
/// the trim. All three are counted. A layer without a bias, or whose weights the plan leaves in float, is left alone.
/// </summary>
public static class BiasCorrection
{
    /// <summary>Corrects the biases of <paramref name="network"/> in place for <paramref name="plan"/>; returns the layers and the plan with any refitted bias formats.</summary>
    public static (IReadOnlyList<BiasCorrectionLayer> Layers, QuantizationPlan Plan) Apply(Network network, QuantizationPlan plan, Tensor images, int maxImages = 1024,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(images);
        var result = new List<BiasCorrectionLayer>();
        using var sample = images.narrow(0, 0, Math.Min(maxImages, images.shape[0]));
        var layers = network.Nodes.Where(n => n.Layer is IWeightedLayer { Bias: not null } && plan.Layers.TryGetValue(n.Layer.LayerName, out var s) && s.Weights is not null).ToList();
        var targets = LayerCapture.FloatOutputs(network, layers, sample);
        try
        {
            foreach (var node in layers)
            {
                cancel.ThrowIfCancellationRequested();
                var weighted = (IWeightedLayer)node.Layer;
                var bias = weighted.Bias!;
                var spec = plan.Layers[node.Layer.LayerName];
                string? refitted = null;
                var target = targets[node.Layer.LayerName];
                using (var input = LayerCapture.QuantizedInput(network, plan, node, sample))
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    var weight = spec.Weights!.Trim(weighted.Weight.detach());
                    var quantizedBias = spec.Bias is { } bf ? bf.Trim(bias.detach()) : bias.detach();
                    long channels = bias.shape[0];
                    var shift = zeros(channels, dtype: ScalarType.Float64);
                    long n = input.shape[0];
                    for (long start = 0; start < n; start += 256)
                    {
                        using var batch = NewDisposeScope();
                        long count = Math.Min(256, n - start);
                        var y = weighted.Apply(input.narrow(0, start, count), weight, quantizedBias);
                        var difference = y.Plus(target.narrow(0, start, count).neg()).to(ScalarType.Float64);
                        var dims = Enumerable.Range(0, (int)difference.dim()).Where(d => d != 1).Select(d => (long)d).ToArray();
                        shift.PlusInPlace(difference.mean(dims).Times(count));
                    }
                    shift = shift.Over(n);
                    var corrected = bias.detach().to(ScalarType.Float64).Plus(shift.neg());
                    long saturated = 0, belowStep = 0;
                    if (spec.Bias is Formats.DynamicFixedPoint dfp)
                    {
                        double largestBias = corrected.abs().max().item<double>();
                        if (largestBias > (dfp.MaxCode + 0.5) * dfp.Step)
                        {
                            var wider = Formats.DynamicFixedPoint.Holding(dfp.BitWidth, largestBias, dfp.Signed);
                            spec = spec with { Bias = wider };
                            plan = plan with { Layers = new Dictionary<string, LayerQuantization>(plan.Layers, StringComparer.Ordinal) { [node.Layer.LayerName] = spec } };
                            refitted = wider.ToString();
                        }
                    }
                    if (spec.Bias is { } format)
                    {
                        var values = corrected.cpu().data<double>().ToArray();
                        var shifts = shift.cpu().data<double>().ToArray();
                        for (int c = 0; c < values.Length; c++)
                        {
                            int channel = format.ChannelCount > 1 ? c : 0;
                            var (lo, hi) = format.ClipRange(channel);
                            if (values[c] < lo || values[c] > hi)
                            {
                                saturated++;
                                values[c] = Math.Clamp(values[c], lo, hi);
                            }
                            double step = format.Affine is { } grid ? grid.Scales[Math.Min(channel, grid.Scales.Count - 1)] : 0;
                            if (Math.Abs(shifts[c]) < step / 2)
                                belowStep++;
                        }
                        corrected = tensor(values);
                    }
                    double largest = shift.abs().max().item<double>();
                    bias.copy_(corrected.to(bias.dtype));
                    result.Add(new BiasCorrectionLayer(node.Layer.LayerName, channels, largest, saturated, belowStep, refitted));
                }
            }
        }
        finally
        {
            foreach (var t in targets.Values)
                t.Dispose();
        }
        return (result, plan);
    }
}
