using Google.Protobuf;
using Ristretto.Models;
using Ristretto.Onnx.Proto;

namespace Ristretto.Onnx;

/// <summary>Assembles an ONNX model (IR 8, default-domain opset 13) node by node.</summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The opset written.</summary>
    public const int Opset = 13;

    private readonly GraphProto _graph;

    public OnnxGraphBuilder(string name) => _graph = new GraphProto { Name = name };

    /// <summary>Adds a float32 initializer holding <paramref name="blob"/>'s data, named <paramref name="name"/>.</summary>
    public string Initializer(string name, TensorBlob blob)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(blob.Shape);
        var bytes = new byte[blob.Data.Length * 4];
        Buffer.BlockCopy(blob.Data, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Adds a node; attributes are ints, int lists or floats.</summary>
    public string Node(string op, string output, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (name, value) in attributes)
        {
            var a = new AttributeProto { Name = name };
            switch (value)
            {
                case long i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
                case long[] ints: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ints); break;
                default: throw new ArgumentException($"unsupported attribute type {value.GetType().Name}");
            }
            node.Attribute.Add(a);
        }
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>Declares a float32 graph input or output; a null dimension is symbolic ("N").</summary>
    public void Input(string name, params long?[] shape) => _graph.Input.Add(ValueInfo(name, shape));

    /// <inheritdoc cref="Input"/>
    public void Output(string name, params long?[] shape) => _graph.Output.Add(ValueInfo(name, shape));

    /// <summary>The finished model.</summary>
    public ModelProto Build(string producer)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = producer, ProducerVersion = "0.1", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
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
