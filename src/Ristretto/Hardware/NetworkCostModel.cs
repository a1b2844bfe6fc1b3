using Ristretto.Graph;
using Ristretto.Layers;
using Ristretto.Quantization;

namespace Ristretto.Hardware;

/// <summary>
/// Walks a <see cref="Network"/> under a <see cref="QuantizationPlan"/> and costs every weighted layer with a
/// <see cref="LayerCostModel"/> (Horowitz ISSCC 2014 op table, hardware-cost.md scheme overheads). Shapes come
/// from the network's declared input (batch dimension excluded); layers the plan does not list cost float32. Weightless
/// layers, LRN included, are not costed: their arithmetic is a small share beside the MACs and the model has no
/// table for it.
/// </summary>
public static class NetworkCostModel
{
    /// <summary>The cost of <paramref name="network"/> under <paramref name="plan"/> (named <paramref name="planName"/>).</summary>
    public static NetworkCost Compute(Network network, QuantizationPlan plan, AcceleratorOptions? options = null, string? planName = null,
        OpCostModel? ops = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        var model = new LayerCostModel(options, ops);
        CheckLayers(network, plan, planName ?? plan.Description);
        var rows = Shapes(network).Select(x =>
        {
            var spec = plan.Layers.GetValueOrDefault(x.Node.Layer.LayerName);
            var scheme = LayerScheme.Of(spec?.Weights, spec?.Bias, spec?.Input, spec?.Output);
            return (x.Node, x.Shape, Scheme: scheme);
        }).ToList();
        // Parameters resident on chip when all of them, at the plan's widths, fit in the buffer.
        var probe = rows.Select(r => model.Cost(r.Node.Layer.LayerName, r.Node.Layer.Type, r.Shape, r.Scheme, weightsResident: false)).ToList();
        bool resident = probe.Sum(l => l.WeightBits + l.ExtraParameterBits) <= model.Options.Sram.CapacityBits();
        var layers = resident
            ? rows.Select(r => model.Cost(r.Node.Layer.LayerName, r.Node.Layer.Type, r.Shape, r.Scheme, weightsResident: true)).ToList()
            : probe;
        return new NetworkCost(network.Name, planName ?? plan.Description, layers, resident) { ActivationUnits = ActivationUnits(network, plan, model.Ops) };
    }

    /// <summary>
    /// Every activation layer <paramref name="plan"/> gives an approximation: its elements per image (batch excluded) times
    /// the unit's energy per element, read from the approximation's cost hooks (<see cref="ActivationUnitCost"/>).
    /// </summary>
    public static IReadOnlyList<ActivationUnitRow> ActivationUnits(Network network, QuantizationPlan plan, OpCostModel? ops = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        var shapes = network.Validate();
        var rows = new List<ActivationUnitRow>();
        foreach (var node in network.Nodes)
        {
            if (node.Layer is not ISmoothActivation || plan.Layers.GetValueOrDefault(node.Layer.LayerName)?.Approximation is not { } approximation)
                continue;
            long elements = shapes[node.Outputs[0]].Skip(1).Aggregate(1L, (a, d) => a * d);
            var unit = ActivationUnitCost.PerElement(approximation, ops);
            rows.Add(new ActivationUnitRow(node.Layer.LayerName, approximation.Describe(), elements, elements * unit.EnergyPj, unit.AreaUm2));
        }
        return rows;
    }

    /// <summary>
    /// Checks that every layer <paramref name="plan"/> names exists in <paramref name="network"/> and can be quantized,
    /// and, when <paramref name="requireAll"/>, that every weighted layer is listed; a problem is one
    /// <see cref="RistrettoException"/> line naming the plan and the layer.
    /// </summary>
    public static void CheckLayers(Network network, QuantizationPlan plan, string planName, bool requireAll = false)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        var byName = network.Nodes.ToDictionary(n => n.Layer.LayerName, n => n.Layer, StringComparer.Ordinal);
        foreach (var name in plan.Layers.Keys.Order(StringComparer.Ordinal))
        {
            if (!byName.TryGetValue(name, out var layer))
                throw new RistrettoException($"plan {planName}: layer '{name}' is not in network {network.Name} (it has {string.Join(", ", Weighted(network))})");
            if (!QuantizedLayers.IsQuantizable(layer) && !plan.Layers[name].IsFloat)
                throw new RistrettoException($"plan {planName}: layer '{name}' ({layer.Type}) cannot carry formats: only {QuantizedLayers.Quantizable} do");
        }
        if (requireAll && Weighted(network).FirstOrDefault(n => !plan.Layers.ContainsKey(n)) is { } missing)
            throw new RistrettoException($"plan {planName} has no entry for layer '{missing}' of network {network.Name} (pass --allow-float-layers to cost unlisted layers as float32)");
    }

    /// <summary>The weighted layers with their cost-model shapes, in execution order.</summary>
    public static IReadOnlyList<(LayerNode Node, LayerShape Shape)> Shapes(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var shapes = network.Validate();
        var result = new List<(LayerNode, LayerShape)>();
        foreach (var node in network.Nodes)
        {
            if (node.Layer is not IWeightedLayer weighted)
                continue;
            var inputs = node.Inputs.Select(b => shapes[b]).ToArray();
            long macs = node.Layer.Macs(inputs);
            var w = weighted.Weight.shape;
            long k = w.Skip(1).Aggregate(1L, (a, d) => a * d);
            long outputs = w[0];
            long groups = node.Layer is ConvolutionLayer conv ? conv.Geo.Groups : 1;
            if (node.Layer is DeconvolutionLayer deconv)
            {
                // Weights [in, out/groups, kh, kw]: each output sums in/groups × kh × kw products at most.
                groups = deconv.Geo.Groups;
                k = w[0] / groups * w[2] * w[3];
                outputs = w[1] * groups;
            }
            long inElements = inputs[0].Skip(1).Aggregate(1L, (a, d) => a * d);
            long outElements = shapes[node.Outputs[0]].Skip(1).Aggregate(1L, (a, d) => a * d);
            result.Add((node, new LayerShape(macs, k, outputs, groups, weighted.Weight.numel(), weighted.Bias?.numel() ?? 0, inElements, outElements).Validated()));
        }
        return result;
    }

    private static IEnumerable<string> Weighted(Network network) =>
        network.Nodes.Where(n => n.Layer is IWeightedLayer).Select(n => n.Layer.LayerName);
}
