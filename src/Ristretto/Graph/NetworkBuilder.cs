namespace Ristretto.Graph;

/// <summary>
/// Assembles a <see cref="Network"/> from layers that name their inputs and outputs as a source model
/// does (Caffe's bottoms and tops). A layer that writes a blob name already written (Caffe's in-place
/// ReLU on its own top) gets a fresh blob name "top@layer", and later readers of that name see the
/// newest version, so every tensor stays observable where it was produced.
/// </summary>
public sealed class NetworkBuilder
{
    private readonly string _name;
    private readonly List<NetworkInput> _inputs = [];
    private readonly List<LayerNode> _nodes = [];
    private readonly Dictionary<string, string> _current = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _source = new(StringComparer.Ordinal);
    private readonly HashSet<string> _layerNames = new(StringComparer.Ordinal);

    /// <summary>Starts a network called <paramref name="name"/>.</summary>
    public NetworkBuilder(string name) => _name = name;

    /// <summary>Declares an input blob with its shape (batch dimension first).</summary>
    public NetworkBuilder Input(string name, params long[] shape)
    {
        if (_current.ContainsKey(name))
            throw new RistrettoException($"input '{name}' is declared twice");
        _inputs.Add(new NetworkInput(name, shape));
        _current[name] = name;
        _source[name] = name;
        return this;
    }

    /// <summary>Adds <paramref name="layer"/> reading <paramref name="inputs"/> and writing <paramref name="outputs"/> (source names).</summary>
    public NetworkBuilder Add(Layer layer, IEnumerable<string> inputs, IEnumerable<string> outputs)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (_layerNames.Contains(layer.LayerName))
            throw new RistrettoException($"two layers are named '{layer.LayerName}'");
        var resolved = new List<string>();
        foreach (var input in inputs)
        {
            if (!_current.TryGetValue(input, out var blob))
                throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) reads '{input}', which no earlier layer or input produces");
            resolved.Add(blob);
        }
        // Nothing changes until the layer is known to fit: a failed Add leaves the builder as it was.
        var outputList = outputs.ToList();
        if (outputList.Count != outputList.Distinct(StringComparer.Ordinal).Count())
            throw new RistrettoException($"layer '{layer.LayerName}' names an output twice");
        _layerNames.Add(layer.LayerName);
        var written = new List<string>();
        foreach (var output in outputList)
        {
            string blob = _current.ContainsKey(output) ? $"{output}@{layer.LayerName}" : output;
            _current[output] = blob;
            _source[blob] = output;
            written.Add(blob);
        }
        _nodes.Add(new LayerNode(layer, resolved, written));
        return this;
    }

    /// <summary>
    /// Puts <paramref name="replacement"/> (same name, same inputs and outputs) in place of the layer added as
    /// <paramref name="name"/>, e.g. the layer wrapped once an importer knows how it is quantized; returns the layer replaced.
    /// </summary>
    public Layer Replace(string name, Layer replacement)
    {
        ArgumentNullException.ThrowIfNull(replacement);
        int i = _nodes.FindIndex(n => n.Layer.LayerName == name);
        if (i < 0 || replacement.LayerName != name)
            throw new RistrettoException($"no layer '{name}' to replace by '{replacement.LayerName}'");
        var old = _nodes[i].Layer;
        _nodes[i] = _nodes[i] with { Layer = replacement };
        return old;
    }

    /// <summary>Shorthand for a one-input, one-output layer.</summary>
    public NetworkBuilder Add(Layer layer, string input, string output) => Add(layer, [input], [output]);

    /// <summary>The current blob holding source name <paramref name="name"/> (after any in-place layers).</summary>
    public string Resolve(string name) => _current.TryGetValue(name, out var blob) ? blob
        : throw new RistrettoException($"no blob named '{name}'");

    /// <summary>
    /// The shape of the blob currently holding source name <paramref name="name"/>, inferred from the
    /// inputs and the layers added so far (an importer needs it to size the next layer's weights).
    /// </summary>
    public long[] ShapeOf(string name)
    {
        string blob = Resolve(name);
        using var network = new Network(_name, _inputs, _nodes, [blob], _source, owned: false);
        return network.Validate()[blob];
    }

    /// <summary>
    /// Finishes the network. Outputs default to the blobs no layer reads. Shapes are validated, so a
    /// network that is returned can run on its declared input shapes.
    /// </summary>
    public Network Build(IEnumerable<string>? outputs = null)
    {
        List<string> outs;
        if (outputs != null)
            outs = outputs.Select(Resolve).ToList();
        else
        {
            var read = _nodes.SelectMany(n => n.Inputs).ToHashSet(StringComparer.Ordinal);
            outs = _nodes.SelectMany(n => n.Outputs).Where(b => !read.Contains(b) && _current[_source[b]] == b).ToList();
        }
        if (_inputs.Count == 0)
            throw new RistrettoException($"network {_name} has no input");
        if (outs.Count == 0)
            throw new RistrettoException($"network {_name} has no output");
        var network = new Network(_name, _inputs, _nodes, outs, _source);
        try
        {
            network.Validate();
        }
        catch
        {
            network.Dispose();
            throw;
        }
        return network;
    }
}
