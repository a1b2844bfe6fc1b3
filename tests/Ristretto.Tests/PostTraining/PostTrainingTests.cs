using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.PostTraining;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Tests.Support;
using Ristretto.Transforms;
using static TorchSharp.torch;

namespace Ristretto.Tests.PostTraining;

/// <summary>Issue 15 parts 2–4: cross-layer equalization, bias correction and AdaRound on a LeNet trained on synthetic digits.</summary>
public class PostTrainingTests
{
    [Fact]
    public void Should_Reconstruct_Every_Layer_Better_Than_Nearest_With_Integer_Per_Channel_Weights_And_Be_Deterministic()
    {
        using var trained = new TrainedLeNet();
        var (plan, images) = IntegerPlan(trained, weightBits: 3);
        using (images)
        {
            var first = Round(trained.Net, plan, images, out var weightsFirst);
            Assert.Equal(4, first.Count);
            foreach (var layer in first)
            {
                Assert.True(layer.AdaRoundError < layer.NearestError, $"{layer.Layer}: AdaRound {layer.AdaRoundError} ≥ nearest {layer.NearestError}");
                Assert.True(layer.Kept && layer.Flipped > 0, $"{layer.Layer}: no weight rounded the other way");
            }
            var second = Round(trained.Net, plan, images, out var weightsSecond);
            Assert.Equal(first, second);
            for (int i = 0; i < weightsFirst.Count; i++)
                Assert.False(weightsFirst[i].ne(weightsSecond[i]).any().item<bool>(), "the same seed gave other weights");
        }
    }

    [Fact]
    public void Should_Leave_Weights_On_The_Plans_Grid()
    {
        using var trained = new TrainedLeNet();
        var (plan, images) = IntegerPlan(trained, weightBits: 2);
        using (images)
        using (var copy = Copy(trained.Net))
        {
            AdaRound.Apply(copy, plan, images, new AdaRoundOptions(Iterations: 50, Images: 128));
            foreach (var node in copy.Nodes.Where(n => n.Layer is IWeightedLayer))
            {
                var w = ((IWeightedLayer)node.Layer).Weight.detach();
                using var trimmed = plan.Layers[node.Layer.LayerName].Weights!.Trim(w);
                Assert.False(trimmed.ne(w).any().item<bool>(), $"{node.Layer.LayerName}: weights off the grid");
            }
        }
    }

    [Fact]
    public void Should_Remove_The_Mean_Output_Shift_Within_The_Bias_Formats_Range()
    {
        using var trained = new TrainedLeNet();
        var ranges = Calibration.Measure(trained.Net, trained.Train, 4, 64);
        var rules = RangeRules.Default;
        var plan = new QuantizationPlan(ranges.Keys.ToDictionary(k => k, k => rules.DynamicFixedPoint(k, ranges[k], 3, null)), "3-bit weights");
        using var copy = Copy(trained.Net);
        var (images, labels) = trained.Train.Slice(0, 256);
        using (images)
        using (labels)
        {
            double before = LogitShift(trained.Net, copy, plan, images);
            var (layers, corrected) = BiasCorrection.Apply(copy, plan, images);
            Assert.Equal(4, layers.Count);
            Assert.Contains(layers, l => l.LargestShift > 1e-4);
            double after = LogitShift(trained.Net, copy, corrected, images);
            Assert.True(after < before / 2, $"the logits' mean shift went from {before} to {after}");
        }
    }

    [Fact]
    public void Should_Equalize_LeNets_Pairs_Without_Changing_The_Float_Function()
    {
        using var trained = new TrainedLeNet();
        using var copy = Copy(trained.Net);
        var pairs = CrossLayerEqualization.Apply(copy);
        Assert.Equal(["conv1→conv2", "conv2→ip1", "ip1→ip2"], pairs.Select(p => $"{p.First}→{p.Second}"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (x, _) = trained.Test.Slice(0, 64);
        var before = trained.Net.forward(x);
        var after = copy.forward(x);
        Assert.True(before.Plus(after.neg()).abs().max().item<float>() < 1e-4 * before.abs().max().item<float>() + 1e-5, "equalization changed the function");
        // Each pair's per-channel ranges now match: r1_i = r2_i.
        var conv1 = (IWeightedLayer)copy["conv1"];
        var conv2 = (IWeightedLayer)copy["conv2"];
        var r1 = conv1.Weight.detach().abs().reshape(20, -1).amax([1]);
        var r2 = conv2.Weight.detach().abs().permute(1, 0, 2, 3).reshape(20, -1).amax([1]);
        Assert.True(r1.Plus(r2.neg()).abs().max().item<float>() < 1e-3 * r1.max().item<float>(), "conv1's and conv2's channel ranges differ after equalization");
    }

    /// <summary>The largest per-class mean of (quantized logits − float logits).</summary>
    private static double LogitShift(Network reference, Network net, QuantizationPlan plan, Tensor images)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var quantized = new QuantizedNetwork(net, plan);
        quantized.eval();
        reference.eval();
        return quantized.forward(images).Plus(reference.forward(images).neg()).mean([0]).abs().max().item<float>();
    }

    private static Network Copy(Network net) =>
        new(net.Name, net.Inputs, net.Nodes.Select(n => new LayerNode(n.Layer.Copy(), n.Inputs, n.Outputs)).ToList(), net.Outputs, net.SourceBlobNames);

    private static List<AdaRoundLayer> Round(Network net, QuantizationPlan plan, Tensor images, out List<Tensor> weights)
    {
        using var copy = Copy(net);
        var layers = AdaRound.Apply(copy, plan, images, new AdaRoundOptions(Iterations: 300, Images: 256, Seed: 7)).ToList();
        weights = copy.Nodes.Where(n => n.Layer is IWeightedLayer).Select(n => ((IWeightedLayer)n.Layer).Weight.detach().clone()).ToList();
        return layers;
    }

    /// <summary>Integer per-channel weights of <paramref name="weightBits"/> and 8-bit activations, with 256 calibration images.</summary>
    private static (QuantizationPlan Plan, Tensor Images) IntegerPlan(TrainedLeNet trained, int weightBits)
    {
        var ranges = Calibration.Measure(trained.Net, trained.Train, 4, 64);
        var formats = new IntegerScheme(PerChannelWeights: true).Formats(trained.Net);
        var plan = new QuantizationPlan(ranges.Keys.ToDictionary(k => k, k => formats(k, ranges[k], weightBits, 8)), "integer");
        var (images, labels) = trained.Train.Slice(0, 256);
        labels.Dispose();
        return (plan, images);
    }
}
