using Google.Protobuf;
using Ristretto.Interchange.Onnx.Proto;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>
/// Assembles an ONNX model (IR 8, default-domain opset 13) node by node. Every value and initializer name is
/// unique: <see cref="Fresh"/> derives a new one from a wanted name, avoiding the names reserved up front
/// (the network's blobs).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The opset written for a float network.</summary>
    public const int Opset = 13;

    private readonly GraphProto _graph;
    private readonly HashSet<string> _names;
    private readonly Dictionary<string, long> _domains = new(StringComparer.Ordinal);

    /// <summary>The default-domain opset <see cref="Build"/> declares (13 unless raised, e.g. to 21 for 4- and 16-bit QDQ).</summary>
    public int DefaultOpset { get; set; } = Opset;

    /// <summary>Declares custom operator domain <paramref name="domain"/> at <paramref name="version"/> in the model's opset imports.</summary>
    public void UseDomain(string domain, long version) => _domains[domain] = version;

    /// <summary>Starts graph <paramref name="name"/>; <paramref name="reserved"/> are value names that <see cref="Fresh"/> must avoid.</summary>
    public OnnxGraphBuilder(string name, IEnumerable<string> reserved)
    {
        _graph = new GraphProto { Name = name };
        _names = new HashSet<string>(reserved, StringComparer.Ordinal);
    }

    /// <summary>A name not used yet: <paramref name="wanted"/>, else wanted_2, wanted_3, ...; it is then taken.</summary>
    public string Fresh(string wanted)
    {
        string name = wanted;
        for (int k = 2; !_names.Add(name); k++)
            name = $"{wanted}_{k}";
        return name;
    }

    /// <summary>A float32 initializer with <paramref name="value"/>'s shape and data (copied from any device); returns its name.</summary>
    public string Initializer(string name, Tensor value)
    {
        using var scope = NewDisposeScope();
        var cpu = value.detach().to(CPU).to(ScalarType.Float32).contiguous();
        return Floats(name, cpu.shape, cpu.data<float>().ToArray());
    }

    /// <summary>A float32 initializer of <paramref name="shape"/> holding <paramref name="data"/>.</summary>
    public string Floats(string name, long[] shape, float[] data)
    {
        var bytes = new byte[data.Length * sizeof(float)];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        return Add(name, TensorProto.Types.DataType.Float, shape, bytes);
    }

    /// <summary>A rank-0 float32 initializer (a Clip bound, a Pow exponent, a Dropout ratio).</summary>
    public string Scalar(string name, double value) => Floats(name, [], [(float)value]);

    /// <summary>A 1-D int64 initializer (a Reshape target, Pad amounts, Slice bounds).</summary>
    public string Int64s(string name, long[] values)
    {
        var bytes = new byte[values.Length * sizeof(long)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return Add(name, TensorProto.Types.DataType.Int64, [values.Length], bytes);
    }

    /// <summary>
    /// Adds node <paramref name="name"/> computing <paramref name="output"/> from <paramref name="inputs"/> ("" for an
    /// absent optional input); attributes are ints, int lists or floats.
    /// </summary>
    public void Node(string op, string name, string[] inputs, string output, params (string Name, object Value)[] attributes) =>
        Node(op, "", name, inputs, output, attributes);

    /// <summary>As <see cref="Node(string, string, string[], string, ValueTuple{string, object}[])"/>, for an operator of <paramref name="domain"/> ("" is ONNX's).</summary>
    public void Node(string op, string domain, string name, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (attribute, value) in attributes)
        {
            var a = new AttributeProto { Name = attribute };
            switch (value)
            {
                case long i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
                case double d: a.Type = AttributeProto.Types.AttributeType.Float; a.F = (float)d; break;
                case long[] ints: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ints); break;
                case string text: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(text); break;
                default: throw new ArgumentException($"unsupported attribute type {value.GetType().Name}");
            }
            node.Attribute.Add(a);
        }
        _graph.Node.Add(node);
    }

    /// <summary>Declares a float32 graph input; a null dimension is symbolic ("N", the batch).</summary>
    public void Input(string name, long?[] shape) => _graph.Input.Add(ValueInfo(name, shape));

    /// <summary>Declares a float32 graph output; a null dimension is symbolic ("N", the batch).</summary>
    public void Output(string name, long?[] shape) => _graph.Output.Add(ValueInfo(name, shape));

    /// <summary>The finished model.</summary>
    public ModelProto Build(string producer, string version)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = producer, ProducerVersion = version, Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = DefaultOpset });
        foreach (var (domain, domainVersion) in _domains)
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = domainVersion });
        return model;
    }

    /// <summary>An initializer of element type <paramref name="type"/> whose little-endian data is <paramref name="bytes"/>; returns its name.</summary>
    public string Add(string name, TensorProto.Types.DataType type, long[] shape, byte[] bytes)
    {
        string unique = Fresh(name);
        var t = new TensorProto { Name = unique, DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(bytes) };
        t.Dims.AddRange(shape);
        _graph.Initializer.Add(t);
        return unique;
    }

    private static ValueInfoProto ValueInfo(string name, long?[] shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var d in shape)
            tensorShape.Dim.Add(d is { } v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = "N" });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
        };
    }
}
