using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// A <see cref="Network"/> evaluated under a <see cref="QuantizationPlan"/>: the planned layers run as
/// <see cref="QuantizedLayer"/>s (weights trimmed once, here) or <see cref="QuantizedLrnLayer"/>s, the others as they are. The network is
/// borrowed, not owned: disposing this frees only the trimmed copies. A layer's input trim is skipped where it
/// cannot change a bit (see <see cref="InputAlreadyOnGrid"/>). An evaluation pass (eval mode, no gradients) runs in
/// slices of the batch (<see cref="MaxSliceBytes"/>), with the same bits as a whole pass.
/// </summary>
public sealed class QuantizedNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Network _network;
    private readonly Dictionary<string, Layer> _substitutes;

    /// <summary>Applies <paramref name="plan"/> to <paramref name="network"/>; a plan naming a missing layer is an error.</summary>
    public QuantizedNetwork(Network network, QuantizationPlan plan) : this(network, plan, skipRedundantTrims: true)
    {
    }

    /// <summary>As the public constructor; <paramref name="skipRedundantTrims"/> off trims every planned input (for tests).</summary>
    internal QuantizedNetwork(Network network, QuantizationPlan plan, bool skipRedundantTrims) : this(network, plan, skipRedundantTrims, exact: false)
    {
    }

    private QuantizedNetwork(Network network, QuantizationPlan plan, bool skipRedundantTrims, bool exact) : base(network?.Name + "-quantized")
    {
        _network = network ?? throw new ArgumentNullException(nameof(network));
        Plan = plan ?? throw new ArgumentNullException(nameof(plan));
        _substitutes = new Dictionary<string, Layer>(StringComparer.Ordinal);
        string? last = exact ? CheckExact(network, plan) : null;
        try
        {
            foreach (var (name, spec) in plan.Layers)
                if (!spec.IsFloat)
                    _substitutes[name] = network[name] is IWeightedLayer
                        ? new QuantizedLayer(network[name], spec)
                        {
                            InputOnGrid = skipRedundantTrims && InputAlreadyOnGrid(network, name, plan),
                            Exact = exact,
                            Float32Output = name == last,
                        }
                        : QuantizedLayers.Create(network[name], spec);
        }
        catch
        {
            foreach (var layer in _substitutes.Values)
                layer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The simulation's exact mode (<c>test --exact</c>): the quantized layers compute in float64 with exact trimmed values
    /// and float64 trims onto integer grids (<see cref="ExactTrim"/>), and the layers between them (ReLU, pooling, concat,
    /// eltwise) run on those float64 values, so that the simulation is the real-number arithmetic of the plan wherever
    /// float64 holds it (every dynamic-fixed-point and power-of-two plan; float scales up to float64's rounding), as the
    /// integer engine computes it. The last quantized layer's output returns to float32 for the float layers after it.
    /// A layer with parameters between quantized layers, or a quantized layer other than a convolution or inner
    /// product, is one error naming it.
    /// </summary>
    public static QuantizedNetwork Exact(Network network, QuantizationPlan plan) => new(network, plan, skipRedundantTrims: true, exact: true);

    /// <summary>The plan applied.</summary>
    public QuantizationPlan Plan { get; }

    /// <summary>
    /// The most bytes the largest blob of one slice of an evaluation pass takes (<see cref="SlicedRun"/>, as the float evaluation
    /// slices); 0 runs whole batches. Only passes in eval mode without gradients are sliced.
    /// </summary>
    public long MaxSliceBytes { get; init; } = SlicedRun.DefaultSliceBytes;

    /// <summary>Images per slice of this network's pass over <paramref name="input"/> under <see cref="MaxSliceBytes"/>.</summary>
    public long ImagesPerSlice(Tensor input) => SlicedRun.ImagesPerSlice(_network, input, MaxSliceBytes);

    /// <summary>Whether this pass runs in slices: eval mode, no gradients, slicing on.</summary>
    private bool Slicing => !training && MaxSliceBytes > 0 && !is_grad_enabled();

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        if (_network.training != training)
            _network.train(training);
        if (Slicing)
            return SlicedRun.Forward(_network, input, MaxSliceBytes, _substitutes);
        var inputs = new Dictionary<string, Tensor> { [_network.Inputs[0].Name] = input };
        return _network.Run(inputs, substitutes: _substitutes)[_network.Outputs[0]];
    }

    /// <summary>A forward pass that shows <paramref name="observe"/> every blob as it is produced (quantized layers' outputs after their trims).</summary>
    public Tensor Run(Tensor input, Action<string, Layer, Tensor> observe)
    {
        if (_network.training != training)
            _network.train(training);
        var inputs = new Dictionary<string, Tensor> { [_network.Inputs[0].Name] = input };
        return _network.Run(inputs, observe, _substitutes)[_network.Outputs[0]];
    }

    /// <summary>
    /// The rest of a forward pass from node <paramref name="firstNode"/>, given the blobs earlier nodes produced
    /// (<see cref="Network.RunUntil"/>): equal to <see cref="forward"/> when no layer before it is quantized.
    /// </summary>
    public Tensor ForwardFrom(int firstNode, IReadOnlyDictionary<string, Tensor> frontier) => ForwardFrom(firstNode, frontier, 0);

    /// <summary>
    /// <see cref="ForwardFrom(int, IReadOnlyDictionary{string, Tensor})"/> in slices of <paramref name="imagesPerSlice"/> images
    /// (<see cref="ImagesPerSlice"/> of the batch's input) when this pass slices; 0: whole.
    /// </summary>
    public Tensor ForwardFrom(int firstNode, IReadOnlyDictionary<string, Tensor> frontier, long imagesPerSlice)
    {
        if (_network.training != training)
            _network.train(training);
        if (imagesPerSlice > 0 && Slicing)
            return SlicedRun.ForwardFrom(_network, firstNode, frontier, imagesPerSlice, _substitutes);
        return _network.RunFrom(firstNode, frontier, _substitutes)[_network.Outputs[0]];
    }

    /// <summary>The index of the first node this plan quantizes (the node count when it quantizes none).</summary>
    public int FirstQuantizedNode() => FirstQuantizedNode(_network, Plan);

    /// <summary>The index of the first node of <paramref name="network"/> that <paramref name="plan"/> quantizes (the node count when none), without applying it.</summary>
    public static int FirstQuantizedNode(Network network, QuantizationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        var nodes = network.Nodes;
        for (int i = 0; i < nodes.Count; i++)
            if (plan.Layers.TryGetValue(nodes[i].Layer.LayerName, out var spec) && !spec.IsFloat)
                return i;
        return nodes.Count;
    }

    /// <summary>
    /// Whether layer <paramref name="layer"/>'s input already lies on its planned input grid: it is an earlier
    /// quantized layer's output, trimmed to the same dynamic-fixed-point format, reached only through ReLU
    /// (slope 0), max pooling, flatten or reshape. Those keep every value on that grid and inside its range, and
    /// trimming an on-grid, in-range value returns it unchanged (nearest and stochastic rounding alike), so the
    /// input trim is skipped. In Ristretto's plans the two formats are equal where the input's largest |value| is
    /// the producer's largest output, as when that is positive and passes a max pooling or ReLU (LeNet's ip1
    /// and ip2, usually).
    /// </summary>
    internal static bool InputAlreadyOnGrid(Network network, string layer, QuantizationPlan plan)
    {
        if (!plan.Layers.TryGetValue(layer, out var spec) || spec.Input is not DynamicFixedPoint wanted)
            return false;
        var node = network.Nodes.First(n => n.Layer.LayerName == layer);
        if (node.Inputs.Count != 1)
            return false;
        string blob = node.Inputs[0];
        while (true)
        {
            var producer = network.Nodes.FirstOrDefault(n => n.Outputs.Contains(blob));
            if (producer is null || producer.Outputs.Count != 1)
                return false; // a network input, or a layer with several outputs
            if (plan.Layers.TryGetValue(producer.Layer.LayerName, out var made) && !made.IsFloat)
                return made.Output is DynamicFixedPoint given && given.Equals(wanted);
            bool keepsGrid = producer.Layer switch
            {
                ReLULayer relu => relu.NegativeSlope == 0,
                PoolingLayer pool => pool.PoolMethod == PoolingLayer.Method.Max,
                FlattenLayer or ReshapeLayer => true,
                _ => false,
            };
            if (!keepsGrid || producer.Inputs.Count != 1)
                return false;
            blob = producer.Inputs[0];
        }
    }

    /// <summary>The last quantized layer, after checking the network can run in the exact mode.</summary>
    private static string CheckExact(Network network, QuantizationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        var nodes = network.Nodes;
        var planned = nodes.Select((n, i) => (n.Layer, i)).Where(p => plan.Layers.TryGetValue(p.Layer.LayerName, out var s) && !s.IsFloat).ToList();
        if (planned.Count == 0)
            throw new RistrettoException("--exact: the plan quantizes no layer");
        foreach (var (layer, _) in planned)
            if (layer is not IWeightedLayer)
                throw new RistrettoException($"--exact: layer '{layer.LayerName}' ({layer.Type}) is quantized; the exact mode computes quantized convolutions and inner products only");
        for (int i = planned[0].i; i < planned[^1].i; i++)
        {
            var layer = nodes[i].Layer;
            if (!planned.Any(p => p.i == i) && (layer.parameters().Any() || layer.buffers().Any()))
                throw new RistrettoException($"--exact: layer '{layer.LayerName}' ({layer.Type}) runs in float32 between quantized layers; the exact mode runs that part in float64 (quantize it, fold it, or end the plan before it)");
        }
        return planned[^1].Layer.LayerName;
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
