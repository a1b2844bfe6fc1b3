using static TorchSharp.torch;

namespace Ristretto.Graph;

/// <summary>
/// A network as a DAG of <see cref="LayerNode"/>s over named blobs, in topological order. Every blob is
/// written by exactly one node (in-place layers of a source model get a fresh blob name from
/// <see cref="NetworkBuilder"/>), so every tensor can be observed where it is produced. Running frees
/// each intermediate tensor right after its last use; without gradients (and no observer) a plain ReLU that is the
/// last reader of a layer's fresh output rectifies it in place. Build it with <see cref="NetworkBuilder"/>.
/// </summary>
public sealed class Network : nn.Module<Tensor, Tensor>
{
    private readonly List<LayerNode> _nodes;
    private readonly Dictionary<string, int> _lastUse;

    internal Network(string name, IReadOnlyList<NetworkInput> inputs, List<LayerNode> nodes, IReadOnlyList<string> outputs,
        IReadOnlyDictionary<string, string> sourceNames, bool owned = true) : base(Layer.ModuleName(name))
    {
        Name = name;
        Inputs = inputs;
        _nodes = nodes;
        Outputs = outputs;
        SourceBlobNames = sourceNames;
        if (owned) // a view for shape inference while building must not own (and later dispose) the layers
            foreach (var node in nodes)
                register_module(Layer.ModuleName(node.Layer.LayerName), node.Layer);
        _lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
            foreach (var blob in nodes[i].Inputs)
                _lastUse[blob] = i;
    }

    /// <summary>The network's name.</summary>
    public string Name { get; }

    /// <summary>Inputs, in order.</summary>
    public IReadOnlyList<NetworkInput> Inputs { get; }

    /// <summary>Layers in execution order.</summary>
    public IReadOnlyList<LayerNode> Nodes => _nodes;

    /// <summary>Blobs the network returns, in order.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>For each blob, the name it had in the source model (in-place blobs share one source name).</summary>
    public IReadOnlyDictionary<string, string> SourceBlobNames { get; }

    /// <summary>The layer named <paramref name="name"/> (as in the source model).</summary>
    public Layer this[string name] => _nodes.FirstOrDefault(n => n.Layer.LayerName == name)?.Layer
        ?? throw new RistrettoException($"network {Name} has no layer '{name}'");

    /// <summary>
    /// A rewrite of this network (same name, inputs and outputs) over <paramref name="nodes"/>, validated and in this
    /// network's training mode; disposed (with the layers it now owns) when it does not validate. What the graph
    /// transforms (batch-norm folding, filter pruning, low rank) return.
    /// </summary>
    internal Network Rewritten(List<LayerNode> nodes, IReadOnlyDictionary<string, string>? sourceNames = null)
    {
        var result = new Network(Name, Inputs, nodes, Outputs, sourceNames ?? SourceBlobNames);
        try
        {
            result.Validate();
        }
        catch
        {
            result.Dispose();
            throw;
        }
        result.train(training);
        return result;
    }

    /// <summary>
    /// Infers every blob's shape from the input shapes and checks each layer's inputs, before any tensor
    /// work. A problem is a <see cref="RistrettoException"/> naming the layer.
    /// </summary>
    public IReadOnlyDictionary<string, long[]> Validate(IReadOnlyDictionary<string, long[]>? inputShapes = null)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var input in Inputs)
            shapes[input.Name] = inputShapes != null && inputShapes.TryGetValue(input.Name, out var s) ? s : input.Shape;
        foreach (var node in _nodes)
        {
            var layer = node.Layer;
            var (min, max) = layer.InputCount;
            if (node.Inputs.Count < min || node.Inputs.Count > max)
                throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) takes {(min == max ? $"{min}" : $"{min} to {max}")} input(s), has {node.Inputs.Count}");
            long[][] ins = node.Inputs.Select(b => shapes[b]).ToArray();
            long[][] outs;
            try
            {
                outs = layer.OutputShapes(ins);
            }
            catch (RistrettoException e)
            {
                throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}): {e.Message}", e);
            }
            if (outs.Length != node.Outputs.Count)
                throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) produces {outs.Length} output(s), the model names {node.Outputs.Count}");
            for (int i = 0; i < outs.Length; i++)
            {
                if (outs[i].Any(d => d <= 0))
                    throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}): output shape [{string.Join("×", outs[i])}] is empty for input [{string.Join("×", ins.FirstOrDefault() ?? [])}]");
                shapes[node.Outputs[i]] = outs[i];
            }
        }
        return shapes;
    }

    /// <summary>Runs a single-input, single-output network.</summary>
    public override Tensor forward(Tensor input)
    {
        if (Inputs.Count != 1 || Outputs.Count != 1)
            throw new InvalidOperationException($"network {Name} has {Inputs.Count} inputs and {Outputs.Count} outputs; use Run");
        return Run(new Dictionary<string, Tensor> { [Inputs[0].Name] = input })[Outputs[0]];
    }

    /// <summary>
    /// Runs the network. <paramref name="observe"/>, when given, sees every blob as it is produced
    /// (blob name, producing layer, tensor), before any later layer runs; it must not keep the tensor, which
    /// may be freed after its last use (copy what it needs). Intermediate tensors are freed
    /// after their last use; the returned outputs belong to the caller's dispose scope.
    /// </summary>
    /// <param name="inputs">A tensor for each network input.</param>
    /// <param name="observe">Sees each blob as it is produced.</param>
    /// <param name="substitutes">Layers to run instead of the network's own, by layer name (e.g. quantized forms).</param>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, Action<string, Layer, Tensor>? observe = null,
        IReadOnlyDictionary<string, Layer>? substitutes = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var input in Inputs)
            if (!inputs.ContainsKey(input.Name))
                throw new RistrettoException($"network {Name} needs input '{input.Name}'");
        return RunNodes(0, _nodes.Count, inputs, Outputs, observe, substitutes);
    }

    /// <summary>
    /// The blobs that nodes from <paramref name="firstNode"/> on read (or that are outputs) but that earlier nodes
    /// or the inputs produce: what <see cref="RunFrom"/> needs to start at <paramref name="firstNode"/>.
    /// </summary>
    public IReadOnlyList<string> Frontier(int firstNode)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstNode);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstNode, _nodes.Count);
        var early = new HashSet<string>(Inputs.Select(i => i.Name), StringComparer.Ordinal);
        foreach (var node in _nodes.Take(firstNode))
            early.UnionWith(node.Outputs);
        return _nodes.Skip(firstNode).SelectMany(n => n.Inputs).Concat(Outputs).Where(early.Contains).Distinct().ToList();
    }

    /// <summary>Runs nodes before <paramref name="firstNode"/> and returns the <see cref="Frontier"/> blobs (in the caller's scope).</summary>
    public Dictionary<string, Tensor> RunUntil(int firstNode, IReadOnlyDictionary<string, Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var frontier = Frontier(firstNode);
        var result = RunNodes(0, firstNode, inputs, frontier, null, null);
        // A network input in the frontier is the caller's tensor: hand back an alias, never the caller's own.
        foreach (var name in frontier.Where(inputs.ContainsKey))
            result[name] = inputs[name].alias();
        return result;
    }

    /// <summary>
    /// Runs nodes from <paramref name="firstNode"/> on, starting from <paramref name="frontier"/> (from
    /// <see cref="RunUntil"/>, which it does not free): the rest of a forward pass whose beginning did not change.
    /// </summary>
    public Dictionary<string, Tensor> RunFrom(int firstNode, IReadOnlyDictionary<string, Tensor> frontier,
        IReadOnlyDictionary<string, Layer>? substitutes = null)
    {
        ArgumentNullException.ThrowIfNull(frontier);
        foreach (var name in Frontier(firstNode))
            if (!frontier.ContainsKey(name))
                throw new RistrettoException($"network {Name}: running from node {firstNode} needs blob '{name}'");
        var outputs = RunNodes(firstNode, _nodes.Count, frontier, Outputs, null, substitutes);
        foreach (var name in Outputs.Where(frontier.ContainsKey))
            outputs[name] = frontier[name].alias();
        return outputs;
    }

    /// <summary>Runs nodes <paramref name="from"/> to <paramref name="to"/> (exclusive) over the blobs <paramref name="known"/> and returns the blobs named in <paramref name="keep"/>.</summary>
    internal Dictionary<string, Tensor> RunNodes(int from, int to, IReadOnlyDictionary<string, Tensor> known, IReadOnlyList<string> keep,
        Action<string, Layer, Tensor>? observe, IReadOnlyDictionary<string, Layer>? substitutes)
    {
        var live = new Dictionary<string, Tensor>(known, StringComparer.Ordinal);
        // A blob may be overwritten in place by its last reader when a layer made it afresh and nothing else sees it.
        var fresh = new HashSet<string>(StringComparer.Ordinal);
        bool inPlace = InPlaceRelu && observe is null && !is_grad_enabled();
        for (int i = from; i < to; i++)
        {
            var node = _nodes[i];
            var layer = substitutes != null && substitutes.TryGetValue(node.Layer.LayerName, out var substitute) ? substitute : node.Layer;
            var inputs = new Tensor[node.Inputs.Count];
            for (int k = 0; k < inputs.Length; k++)
                inputs[k] = live[node.Inputs[k]];
            Tensor[] results;
            if (inPlace && inputs.Length == 1 && layer.CanRunInPlace && Overwritable(node.Inputs[0], i, keep, known, fresh))
            {
                live.Remove(node.Inputs[0]);
                results = [layer.ForwardInPlace(inputs[0])]; // the input's last use: compute over it where it lies
            }
            else
                results = layer.forward(inputs);
            for (int k = 0; k < results.Length; k++)
            {
                live[node.Outputs[k]] = results[k];
                if (layer.OutputIsFresh)
                    fresh.Add(node.Outputs[k]);
                observe?.Invoke(node.Outputs[k], layer, results[k]);
            }
            foreach (var blob in node.Inputs)
            {
                if (_lastUse[blob] == i && live.TryGetValue(blob, out var dead) && !Contains(keep, blob) && !known.ContainsKey(blob))
                {
                    dead.Dispose();
                    live.Remove(blob);
                }
            }
        }
        var outputs = new Dictionary<string, Tensor>(keep.Count, StringComparer.Ordinal);
        foreach (var k in keep)
            outputs[k] = live[k];
        return outputs;
    }

    /// <summary>Whether the in-place ReLU is used (on; off only to measure what it gives).</summary>
    internal static bool InPlaceRelu { get; set; } = true;

    private bool Overwritable(string blob, int node, IReadOnlyList<string> keep, IReadOnlyDictionary<string, Tensor> known, HashSet<string> fresh) =>
        _lastUse[blob] == node && fresh.Contains(blob) && !known.ContainsKey(blob) && !Contains(keep, blob)
        && _nodes[node].Inputs.Count == 1;

    private static bool Contains(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.Ordinal))
                return true;
        return false;
    }
}
