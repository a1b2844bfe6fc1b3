using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;

namespace Ristretto.Hardware;

/// <summary>
/// Two plans of one network costed side by side, and how many times more energy the second needs
/// (its energy-efficiency loss): overall, for the arithmetic alone, and for the arithmetic of the MAC array and
/// scheme units without memory.
/// </summary>
/// <param name="First">The cheaper scheme's cost (e.g. LSQ).</param>
/// <param name="Second">The other scheme's cost (e.g. LSQ+).</param>
public sealed record SchemeComparison(NetworkCost First, NetworkCost Second)
{
    /// <summary>Energy per inference of the second / the first (everything, memory included).</summary>
    public double TotalRatio => Second.Energy.Total / First.Energy.Total;

    /// <summary>Arithmetic energy (MAC array, bias, re-quantization, offsets) of the second / the first.</summary>
    public double ComputeRatio => Second.Energy.Compute / First.Energy.Compute;

    /// <summary>Datapath area of the second / the first.</summary>
    public double AreaRatio => Second.Area.Total / First.Area.Total;

    /// <summary>
    /// LSQ against LSQ+ at <paramref name="bits"/> bits on every weighted layer of <paramref name="network"/>
    /// (hardware-cost.md: "adding a scale factor and an offset to learned-step-size quantization (LSQ → LSQ+)").
    /// LSQ: symmetric signed weights and activations with zero point 0 and float scales (the first layer's input
    /// and the last layer's output included; the last layer's output stays float32, its logits). LSQ+: the same
    /// weights, activations asymmetric (unsigned codes with a non-zero zero point, the learned offset), float scales.
    /// Scale values do not change the cost; they are nominal.
    /// </summary>
    public static SchemeComparison LsqVsLsqPlus(Network network, int bits, AcceleratorOptions? options = null, OpCostModel? ops = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (bits is < 2 or > 16)
            throw new RistrettoException($"LSQ bit width must be in [2, 16], got {bits}");
        var lsq = LsqPlan(network, bits, offset: false);
        var lsqPlus = LsqPlan(network, bits, offset: true);
        return new SchemeComparison(
            NetworkCostModel.Compute(network, lsq, options, $"LSQ {bits}-bit", ops),
            NetworkCostModel.Compute(network, lsqPlus, options, $"LSQ+ {bits}-bit", ops));
    }

    /// <summary>
    /// The LSQ (<paramref name="offset"/> false) or LSQ+ (true) plan at <paramref name="bits"/> bits: float-scale
    /// integer formats on every weighted layer's weights, input and output (the last layer's output in float32).
    /// </summary>
    public static QuantizationPlan LsqPlan(Network network, int bits, bool offset)
    {
        ArgumentNullException.ThrowIfNull(network);
        const float scale = 0.05f;
        var weighted = network.Nodes.Where(n => n.Layer is IWeightedLayer).Select(n => n.Layer.LayerName).ToList();
        var weights = IntegerFormat.Symmetric(bits, scale);
        var activations = offset ? IntegerFormat.Asymmetric(bits, scale, 1 << (bits - 1)) : IntegerFormat.Symmetric(bits, scale);
        var layers = weighted.ToDictionary(name => name, name => new LayerQuantization(
            Weights: weights, Input: activations, Output: name == weighted[^1] ? null : activations), StringComparer.Ordinal);
        return new QuantizationPlan(layers, offset
            ? $"LSQ+ {bits}-bit: symmetric float-scale weights, asymmetric (offset) float-scale activations"
            : $"LSQ {bits}-bit: symmetric float-scale weights and activations");
    }
}
