using System.Runtime.InteropServices;
using Ristretto.Graph;
using Ristretto.Interchange.Onnx.Proto;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>
/// Turns one ONNX graph into a <see cref="Network"/>. Values are either constants (initializers and
/// folded constant subgraphs, held as tensors until import ends) or runtime blobs with a known shape;
/// each node becomes layers reading runtime blobs, or is evaluated when all its inputs are constants.
/// </summary>
internal sealed partial class OnnxConverter : IDisposable
{
    private readonly string _source;
    private readonly NetworkBuilder _builder;
    private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _alias = new(StringComparer.Ordinal);
    private readonly HashSet<string> _layerNames = new(StringComparer.Ordinal);

    private readonly bool _applyQuantization;

    private OnnxConverter(string source, string name, long opset, bool applyQuantization)
    {
        _applyQuantization = applyQuantization;
        _source = source;
        Opset = opset;
        _builder = new NetworkBuilder(name);
    }

    /// <summary>The default-domain opset of the model.</summary>
    public long Opset { get; }

    public static Network Convert(ModelProto model, string source, bool applyQuantization = true)
    {
        var opsets = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).ToList();
        long opset = opsets.Count > 0 ? opsets.Max() : model.IrVersion <= 3 ? 1 : 0;
        if (opset < 1)
            throw new RistrettoException($"{source}: the model imports no default-domain opset");
        if (opset > OnnxImporter.MaxOpset)
            throw new RistrettoException($"{source}: the model uses opset {opset}; this version reads opsets up to {OnnxImporter.MaxOpset}");
        var graph = model.Graph;
        using var converter = new OnnxConverter(source, graph.Name.Length > 0 ? graph.Name : Path.GetFileNameWithoutExtension(source), opset, applyQuantization);
        return converter.Run(graph, EmbeddedPlan(model, source));
    }

    /// <summary>The plan a quantized export embedded in the model's metadata, or null (absent or unreadable: the graph alone then says).</summary>
    private static Quantization.QuantizationPlan? EmbeddedPlan(ModelProto model, string source)
    {
        var text = model.MetadataProps.LastOrDefault(p => p.Key == QuantizedOnnxMetadata.PlanKey)?.Value;
        try
        {
            return text is null ? null : Quantization.PlanFile.Parse(text, $"{source} metadata");
        }
        catch (RistrettoException)
        {
            return null;
        }
    }

    private Network Run(GraphProto graph, Quantization.QuantizationPlan? embedded)
    {
        ScanQuantization(graph);
        foreach (var init in graph.Initializer)
            Keep(init.Name, Guard(() => OnnxTensors.ToTensor(init, _source)));
        foreach (var input in graph.Input.Where(i => !_constants.ContainsKey(i.Name)))
        {
            var dims = input.Type?.TensorType?.Shape?.Dim
                ?? throw new RistrettoException($"{_source}: input '{input.Name}' has no tensor shape");
            long[] shape = dims.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue > 0 ? d.DimValue : 1).ToArray();
            _builder.Input(input.Name, shape);
            _shapes[input.Name] = shape;
        }
        // Constants are freed after their last reader: big weights then exist once, as parameters.
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Node.Count; i++)
            foreach (var name in graph.Node[i].Input)
                lastUse[name] = i;
        var keep = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = new OnnxNode(graph.Node[i], i);
            _node = node;
            try
            {
                ConvertNode(node);
            }
            catch (RistrettoException e) when (!e.Message.StartsWith(_source + ":", StringComparison.Ordinal))
            {
                throw new RistrettoException($"{_source}: node '{node.Name}' ({node.Op}): {e.Message}", e);
            }
            catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException)
            {
                // A malformed node that the checks above let through (TorchSharp or an array refusing it).
                throw new RistrettoException($"{_source}: node '{node.Name}' ({node.Op}) cannot be imported ({e.Message.Split('\n')[0]})", e);
            }
            foreach (var name in node.Proto.Input)
                if (lastUse[name] == i && !keep.Contains(name) && !_alias.ContainsValue(name) && _constants.Remove(name, out var dead))
                    dead.Dispose();
        }
        var outputs = new List<string>();
        foreach (var output in graph.Output)
        {
            string blob = Resolve(output.Name);
            if (!_shapes.ContainsKey(blob))
                throw new RistrettoException($"{_source}: output '{output.Name}' is {(_constants.ContainsKey(blob) ? "a constant" : "produced by no node")}; this version needs outputs computed from the inputs");
            outputs.Add(blob);
        }
        _node = null;
        try
        {
            if (_applyQuantization)
                ApplyQuantization(embedded);
            var network = _builder.Build(outputs);
            network.eval(); // an imported graph is for inference: Dropout is the identity
            return network;
        }
        catch (RistrettoException e)
        {
            throw new RistrettoException($"{_source}: {e.Message}", e);
        }
    }

    private void ConvertNode(OnnxNode node)
    {
        if (ConvertQuantization(node))
            return;
        if (node.Proto.Domain is not ("" or "ai.onnx"))
            throw Unsupported(node, $" from domain '{node.Proto.Domain}'");
        if (node.Proto.Output.Count == 0 || node.Proto.Output[0].Length == 0)
            throw new RistrettoException("has no output");
        var inputs = node.Proto.Input.Where(n => n.Length > 0).ToList();
        if (inputs.All(n => _constants.ContainsKey(Resolve(n))) && TryFold(node))
            return;
        if (!Dispatch(node))
            throw Unsupported(node, "");
    }

    private RistrettoException Unsupported(OnnxNode node, string detail) =>
        new($"{_source}: node '{node.Name}' ({node.Op}) uses an operator{detail} this version does not support");

    /// <summary>Fails unless <paramref name="condition"/> holds.</summary>
    private static void Require(bool condition, string message)
    {
        if (!condition)
            throw new RistrettoException(message);
    }

    private string Resolve(string name) => _alias.TryGetValue(name, out var target) ? target : name;

    /// <summary>Whether <paramref name="name"/> (possibly aliased) is a constant.</summary>
    private bool IsConstant(string? name) => name is not null && _constants.ContainsKey(Resolve(name));

    /// <summary>The constant named <paramref name="name"/>; it must exist.</summary>
    private Tensor Constant(OnnxNode node, string? name, string what)
    {
        if (name is null)
            throw new RistrettoException($"{what} is missing");
        return _constants.TryGetValue(Resolve(name), out var t) ? t
            : throw new RistrettoException($"{what} '{name}' must be a constant (an initializer or computed from constants); it is computed at run time");
    }

    private long[] ConstantInts(OnnxNode node, string? name, string what)
    {
        var t = Constant(node, name, what);
        if (t.numel() == 0)
            return [];
        using var scope = NewDisposeScope();
        return t.to(ScalarType.Int64).contiguous().data<long>().ToArray();
    }

    private double ConstantScalar(OnnxNode node, string? name, string what)
    {
        var t = Constant(node, name, what);
        Require(t.numel() == 1, $"{what} '{name}' must hold one value, it has shape [{string.Join("×", t.shape)}]");
        using var scope = NewDisposeScope();
        return t.to(ScalarType.Float64).item<double>();
    }

    /// <summary>The runtime blob for <paramref name="name"/> and its shape.</summary>
    private (string Blob, long[] Shape) Runtime(string? name, string what = "input")
    {
        if (name is null)
            throw new RistrettoException($"the {what} is missing");
        string blob = Resolve(name);
        if (_shapes.TryGetValue(blob, out var shape))
            return (blob, shape);
        throw new RistrettoException(_constants.ContainsKey(blob)
            ? $"the {what} '{name}' is a constant here, where this version needs a value computed from the inputs"
            : $"reads '{name}', which no earlier node or input produces");
    }

    /// <summary>Stores a constant (taking ownership, out of any dispose scope).</summary>
    private void Keep(string name, Tensor value)
    {
        if (_constants.Remove(name, out var old))
            old.Dispose();
        _constants[name] = value.DetachFromDisposeScope();
    }

    /// <summary>A parameter holding a float32 copy of <paramref name="value"/>, owned by the layer it is given to.</summary>
    private static Parameter Param(Tensor value)
    {
        using var scope = NewDisposeScope();
        var data = value.detach().to(ScalarType.Float32).contiguous().clone();
        var p = new Parameter(data, requires_grad: true);
        p.DetachFromDisposeScope();
        return p;
    }

    /// <summary>A unique layer name derived from the node's.</summary>
    private string LayerName(OnnxNode node, string? suffix = null)
    {
        string baseName = suffix is null ? node.Name : $"{node.Name}/{suffix}";
        string name = baseName;
        for (int k = 2; !_layerNames.Add(name); k++)
            name = $"{baseName}_{k}";
        return name;
    }

    /// <summary>Adds <paramref name="layer"/> reading runtime blobs and records its output shapes.</summary>
    private void AddLayer(Layer layer, string[] inputBlobs, string[] outputs)
    {
        long[][] shapes;
        try
        {
            shapes = layer.OutputShapes(inputBlobs.Select(b => _shapes[b]).ToArray());
            TrackQuantization(layer, inputBlobs, outputs); // ONNX values are written once: a blob keeps its value's name
            _builder.Add(layer, inputBlobs, outputs);
        }
        catch
        {
            layer.Dispose();
            throw;
        }
        for (int i = 0; i < outputs.Length; i++)
            _shapes[_builder.Resolve(outputs[i])] = shapes[i];
    }

    /// <summary>Adds a one-input layer and returns its output blob.</summary>
    private string Chain(Layer layer, string input, string output)
    {
        AddLayer(layer, [input], [output]);
        return _builder.Resolve(output);
    }

    /// <summary>Runs <paramref name="make"/>, turning TorchSharp failures into a RistrettoException.</summary>
    private T Guard<T>(Func<T> make)
    {
        try
        {
            return make();
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new RistrettoException($"cannot evaluate it ({e.Message.Split('\n')[0]})", e);
        }
    }

    public void Dispose()
    {
        foreach (var t in _constants.Values)
            t.Dispose();
        _constants.Clear();
    }
}
