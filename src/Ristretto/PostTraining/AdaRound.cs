using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.PostTraining;

/// <summary>AdaRound's settings: iterations per layer, the images reconstructed, and the seed of the batch order.</summary>
/// <param name="Iterations">Optimisation steps per layer (Nagel et al. used 10,000; 1,000 is enough for LeNet-sized layers).</param>
/// <param name="Images">Calibration images whose layer outputs are reconstructed.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="Seed">Seed of the batches drawn (SplitMix64): the same seed gives the same weights.</param>
/// <param name="Lambda">Weight of the rounding regulariser.</param>
/// <param name="LearningRate">Adam's step on the rounding variables.</param>
public sealed record AdaRoundOptions(int Iterations = 1000, int Images = 1024, int BatchSize = 64, ulong Seed = 1, double Lambda = 0.01, double LearningRate = 1e-2)
{
    /// <summary>Refuses impossible values in one line.</summary>
    public AdaRoundOptions Validate() => Iterations >= 1 && Images >= 1 && BatchSize >= 1 && Lambda >= 0 && LearningRate > 0
        ? this
        : throw new RistrettoException($"--adaround-iterations must be ≥ 1 (got {Iterations}), with at least one image and batch");
}

/// <summary>One layer's AdaRound: the reconstruction error of its output (mean over images of the squared error summed over channels) with nearest rounding and with AdaRound's.</summary>
/// <param name="Layer">The layer.</param>
/// <param name="NearestError">Error with every weight rounded to nearest.</param>
/// <param name="AdaRoundError">Error with the learned rounding.</param>
/// <param name="Weights">Weights in the layer.</param>
/// <param name="Flipped">Weights rounded the other way from nearest.</param>
/// <param name="Kept">Whether the learned rounding was kept (it is not where it reconstructs worse than nearest: the weights then round to nearest).</param>
public sealed record AdaRoundLayer(string Layer, double NearestError, double AdaRoundError, long Weights, long Flipped, bool Kept);

/// <summary>
/// AdaRound (Nagel et al., "Up or Down? Adaptive Rounding for Post-Training Quantization", 2020): each weight of a
/// layer whose plan gives its weights an affine grid (dynamic fixed point, integer per tensor or per channel) is rounded
/// down or up by a learned choice instead of to nearest. Layer by layer in network order, on calibration images: the
/// layer's input comes from the quantized network (the layers before it already rounded this way), the target is the
/// float network's output of the layer. A rectified sigmoid h(V) ∈ [0, 1] per weight, initialised at the weight's
/// fractional position, is trained by Adam to minimise the output's squared error plus λ·Σ(1 − |2h − 1|^β), β annealed
/// from 20 to 2 after a fifth of the iterations (the regulariser pushes every h to 0 or 1); then each weight is rounded
/// up where h ≥ ½. The weights are written back on the grid, so the plan's nearest-rounding trim keeps them exactly.
/// Batches are drawn by a seeded <see cref="SplitMix64"/> and the optimiser is computed here: the same seed gives the same
/// weights.
/// </summary>
public static class AdaRound
{
    private const double Zeta = 1.1, Gamma = -0.1, BetaStart = 20, BetaEnd = 2, Warmup = 0.2;
    private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;

    /// <summary>Rounds the weights of every layer of <paramref name="plan"/> with an affine weight grid, in place; returns each layer's errors.</summary>
    public static IReadOnlyList<AdaRoundLayer> Apply(Network network, QuantizationPlan plan, Tensor images, AdaRoundOptions options,
        Action<int, string>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var rng = new SplitMix64(options.Seed);
        var result = new List<AdaRoundLayer>();
        using var sample = images.narrow(0, 0, Math.Min(options.Images, images.shape[0]));
        var layers = network.Nodes.Where(n => n.Layer is IWeightedLayer && plan.Layers.TryGetValue(n.Layer.LayerName, out var s) && s.Weights?.Affine is not null).ToList();
        var targets = LayerCapture.FloatOutputs(network, layers, sample);
        try
        {
            foreach (var node in layers)
            {
                cancel.ThrowIfCancellationRequested();
                var weighted = (IWeightedLayer)node.Layer;
                var spec = plan.Layers[node.Layer.LayerName];
                var grid = spec.Weights!.Affine!;
                var target = targets[node.Layer.LayerName];
                using (var input = LayerCapture.QuantizedInput(network, plan, node, sample))
                    result.Add(Layer(node.Layer.LayerName, weighted, spec, grid, input, target, options, ref rng));
                progress?.Invoke(result.Count, $"AdaRound {node.Layer.LayerName}: output error {result[^1].NearestError:G4} (nearest) → {result[^1].AdaRoundError:G4}");
            }
        }
        finally
        {
            foreach (var t in targets.Values)
                t.Dispose();
        }
        return result;
    }

    private static AdaRoundLayer Layer(string name, IWeightedLayer layer, LayerQuantization spec, Formats.AffineGrid grid, Tensor input, Tensor target,
        AdaRoundOptions options, ref SplitMix64 rng)
    {
        using var scope = NewDisposeScope();
        var w = layer.Weight.detach().to(ScalarType.Float32);
        var (scale, zero) = Broadcast(grid, w);
        Tensor? bias;
        using (no_grad())
            bias = layer.Bias is { } b ? (spec.Bias is { } bf ? bf.Trim(b.detach()) : b.detach().clone()) : null;
        var scaled = w.div(scale);
        var floor = scaled.floor().Plus(zero);
        var rest = scaled.Plus(zero).Plus(floor.neg());
        // h(V) = clamp(σ(V)(ζ − γ) + γ, 0, 1) starts at the fractional part: V = logit((rest − γ)/(ζ − γ)).
        var start = rest.Minus(Gamma).Over(Zeta - Gamma);
        var v = start.div(start.SubtractedFrom(1)).log().detach().requires_grad_(true);
        var m = zeros_like(v);
        var s = zeros_like(v);
        int n = (int)input.shape[0];
        int warm = (int)(options.Iterations * Warmup);
        Tensor Weights(Tensor h) => floor.Plus(h).ClampTo(grid.QMin, grid.QMax).Plus(zero.neg()).mul(scale);
        for (int it = 0; it < options.Iterations; it++)
        {
            using var step = NewDisposeScope();
            using var kernels = Engine.OneDnn.Gradients(); // forward and backward under the same convolution kernels
            var picks = new long[Math.Min(options.BatchSize, n)];
            for (int i = 0; i < picks.Length; i++)
                picks[i] = rng.NextInt(n);
            using var index = tensor(picks);
            var h = v.sigmoid().Times(Zeta - Gamma).Plus(Gamma).ClampTo(0.0, 1.0);
            var y = layer.Apply(input.index_select(0, index), Weights(h), bias);
            var loss = Reconstruction(y, target.index_select(0, index));
            if (it >= warm && options.Lambda > 0)
            {
                double progress = options.Iterations - warm <= 1 ? 1 : (it - warm) / (double)(options.Iterations - warm - 1);
                double beta = BetaEnd + (BetaStart - BetaEnd) * Math.Max(0, 1 - progress);
                var regulariser = h.Minus(0.5).abs().Times(2).ToPower(beta).SubtractedFrom(1).sum().Times(options.Lambda);
                loss = loss.Plus(regulariser);
            }
            var grad = autograd.grad([loss], [v])[0];
            using (no_grad())
            {
                // Adam, computed here so that its arithmetic is fixed.
                m.TimesInPlace(Beta1).PlusInPlace(grad.Times(1 - Beta1));
                s.TimesInPlace(Beta2).PlusInPlace(grad.mul(grad).Times(1 - Beta2));
                double c1 = 1 - Math.Pow(Beta1, it + 1), c2 = 1 - Math.Pow(Beta2, it + 1);
                var update = m.Over(c1).div(s.Over(c2).sqrt().Plus(Epsilon)).Times(-options.LearningRate);
                v.detach().PlusInPlace(update);
            }
        }
        using var noGrad = no_grad();
        var up = v.GreaterOrEqual(0).to(ScalarType.Float32);
        var rounded = Weights(up).to(layer.Weight.dtype);
        var nearest = spec.Weights!.Trim(w);
        double nearestError = Error(layer, input, target, nearest, bias);
        double adaError = Error(layer, input, target, rounded, bias);
        long flipped = rounded.ne(nearest.to(rounded.dtype)).sum().item<long>();
        bool kept = adaError <= nearestError; // never worse than nearest on the data it saw
        layer.Weight.copy_(kept ? rounded : nearest.to(layer.Weight.dtype));
        return new AdaRoundLayer(name, nearestError, adaError, w.numel(), kept ? flipped : 0, kept);
    }

    /// <summary>Squared error summed over channels (dimension 1), averaged over the rest.</summary>
    internal static Tensor Reconstruction(Tensor y, Tensor target)
    {
        var difference = y.Plus(target.neg());
        return difference.mul(difference).sum(1).mean();
    }

    /// <summary>The reconstruction error over every captured image, in batches.</summary>
    internal static double Error(IWeightedLayer layer, Tensor input, Tensor target, Tensor weight, Tensor? bias)
    {
        using var noGrad = no_grad();
        double total = 0;
        long n = input.shape[0];
        for (long start = 0; start < n; start += 256)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(256, n - start);
            var y = layer.Apply(input.narrow(0, start, count), weight, bias);
            total += Reconstruction(y, target.narrow(0, start, count)).item<float>() * count;
        }
        return total / n;
    }

    /// <summary>The grid's scales and zero points shaped to broadcast over <paramref name="w"/> (per channel along its axis).</summary>
    private static (Tensor Scale, Tensor Zero) Broadcast(Formats.AffineGrid grid, Tensor w)
    {
        var shape = Enumerable.Repeat(1L, (int)w.dim()).ToArray();
        if (grid.Axis is { } axis && grid.Scales.Count > 1)
            shape[axis] = grid.Scales.Count;
        var scale = tensor(grid.Scales.Select(x => (float)x).ToArray()).reshape(shape);
        var zero = tensor(grid.ZeroPoints.Select(x => (float)x).ToArray()).reshape(shape);
        return (scale, zero);
    }
}
