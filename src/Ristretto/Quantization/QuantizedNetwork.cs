using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// A <see cref="Network"/> evaluated under a <see cref="QuantizationPlan"/>: the planned layers run as
/// <see cref="QuantizedLayer"/>s (weights trimmed once, here), the others as they are. The network is
/// borrowed, not owned: disposing this frees only the trimmed copies.
/// </summary>
public sealed class QuantizedNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Network _network;
    private readonly Dictionary<string, Layer> _substitutes;

    /// <summary>Applies <paramref name="plan"/> to <paramref name="network"/>; a plan naming a missing layer is an error.</summary>
    public QuantizedNetwork(Network network, QuantizationPlan plan) : base(network?.Name + "-quantized")
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        Plan = plan;
        _substitutes = new Dictionary<string, Layer>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, spec) in plan.Layers)
                if (!spec.IsFloat)
                    _substitutes[name] = new QuantizedLayer(network[name], spec);
        }
        catch
        {
            foreach (var layer in _substitutes.Values)
                layer.Dispose();
            throw;
        }
    }

    /// <summary>The plan applied.</summary>
    public QuantizationPlan Plan { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (_network.training != training)
            _network.train(training);
        var inputs = new Dictionary<string, Tensor> { [_network.Inputs[0].Name] = input };
        return _network.Run(inputs, substitutes: _substitutes)[_network.Outputs[0]];
    }

    /// <summary>
    /// The rest of a forward pass from node <paramref name="firstNode"/>, given the blobs earlier nodes produced
    /// (<see cref="Network.RunUntil"/>): equal to <see cref="forward"/> when no layer before it is quantized.
    /// </summary>
    public Tensor ForwardFrom(int firstNode, IReadOnlyDictionary<string, Tensor> frontier)
    {
        if (_network.training != training)
            _network.train(training);
        return _network.RunFrom(firstNode, frontier, _substitutes)[_network.Outputs[0]];
    }

    /// <summary>The index of the first node this plan quantizes (the node count when it quantizes none).</summary>
    public int FirstQuantizedNode()
    {
        var nodes = _network.Nodes;
        for (int i = 0; i < nodes.Count; i++)
            if (_substitutes.ContainsKey(nodes[i].Layer.LayerName))
                return i;
        return nodes.Count;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            foreach (var layer in _substitutes.Values)
                layer.Dispose();
        base.Dispose(disposing);
    }
}
