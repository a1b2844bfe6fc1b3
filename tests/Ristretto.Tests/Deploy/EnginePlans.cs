using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Search;
using static TorchSharp.torch;

namespace Ristretto.Tests.Deploy;

/// <summary>The plan kinds the integer engine runs, made for any network from its layer ranges, and the comparisons the equality tests make.</summary>
internal static class EnginePlans
{
    /// <summary>Plans whose simulation in float32 is already exact (power-of-two steps, accumulators below 2^24).</summary>
    public static readonly string[] PowerOfTwoSteps = ["dfp 8/8/8", "dfp 4/4/8", "int8 pow2 per-channel asymmetric", "pow2 weights dfp8"];

    /// <summary>Plans with float or fixed-point scales.</summary>
    public static readonly string[] NonPowerOfTwoScales = ["int8 float per-channel asymmetric", "int8 float per-tensor symmetric", "int8 fixed per-channel"];

    public static QuantizationPlan Make(string kind, Network net, IReadOnlyDictionary<string, LayerRange> ranges)
    {
        LayerFormats formats = kind switch
        {
            _ when kind.StartsWith("dfp", StringComparison.Ordinal) => RangeRules.Default.DynamicFixedPoint,
            "int8 pow2 per-channel asymmetric" => new IntegerScheme(ScaleKind.PowerOfTwo, PerChannelWeights: true, AsymmetricActivations: true).Formats(net),
            "int8 float per-channel asymmetric" => new IntegerScheme(ScaleKind.Float, PerChannelWeights: true, AsymmetricActivations: true).Formats(net),
            "int8 float per-tensor symmetric" => new IntegerScheme(ScaleKind.Float).Formats(net),
            "int8 fixed per-channel" => new IntegerScheme(ScaleKind.FixedPoint, PerChannelWeights: true, ScaleFractionBits: 16).Formats(net),
            "pow2 weights dfp8" => (layer, range, _, ab) =>
            {
                var dfp = RangeRules.Default.DynamicFixedPoint(layer, range, 8, ab);
                return dfp with { Weights = new PowerOfTwo(-8, -1) };
            },
            _ => throw new ArgumentException(kind),
        };
        var (wb, ab) = kind switch
        {
            "dfp 4/4/8" => (4, 8),
            "dfp 16/16/16" => (16, 16),
            _ => (8, 8),
        };
        var layers = net.Nodes.Where(n => n.Layer is IWeightedLayer)
            .ToDictionary(n => n.Layer.LayerName, n => formats(n.Layer.LayerName, ranges[n.Layer.LayerName], wb, ab), StringComparer.Ordinal);
        return new QuantizationPlan(layers, kind);
    }

    /// <summary>Elements of <paramref name="a"/> and <paramref name="b"/> (batch first) that differ, and the images with any.</summary>
    public static (long Values, long Images) Differences(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        using var scope = NewDisposeScope();
        var differs = a.ne(b).reshape(a.shape[0], -1);
        return (differs.sum().item<long>(), differs.any(1).sum().item<long>());
    }

    /// <summary>Ranges of every weighted layer from one pass over <paramref name="x"/> (enough for random-weight networks).</summary>
    public static Dictionary<string, LayerRange> Ranges(Network net, Tensor x)
    {
        var blobs = new Dictionary<string, (double Max, double Min)>(StringComparer.Ordinal);
        using (no_grad())
        using (NewDisposeScope())
        {
            blobs[net.Inputs[0].Name] = (x.abs().max().item<float>(), x.min().item<float>());
            net.Run(new Dictionary<string, Tensor> { [net.Inputs[0].Name] = x },
                (blob, _, t) => blobs[blob] = (t.abs().max().item<float>(), t.min().item<float>()));
        }
        var ranges = new Dictionary<string, LayerRange>(StringComparer.Ordinal);
        foreach (var node in net.Nodes.Where(n => n.Layer is IWeightedLayer))
        {
            var w = (IWeightedLayer)node.Layer;
            using var scope = NewDisposeScope();
            double wMax = w.Weight.detach().abs().max().item<float>();
            double bMax = w.Bias is { } b ? b.detach().abs().max().item<float>() : 0;
            var (inMax, inMin) = blobs[node.Inputs[0]];
            var (outMax, outMin) = blobs[node.Outputs[0]];
            ranges[node.Layer.LayerName] = new LayerRange(inMax, outMax, wMax, bMax) { InputMin = inMin, OutputMin = outMin };
        }
        return ranges;
    }
}
