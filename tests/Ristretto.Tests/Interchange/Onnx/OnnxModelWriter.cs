using System.Text;
using Google.Protobuf;
using Ristretto.Interchange.Onnx.Proto;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>Writes small ONNX models for tests: one float input, initializers, nodes with any attribute.</summary>
internal sealed class OnnxModelWriter(int opset = 13)
{
    private readonly GraphProto _graph = new() { Name = "test" };

    public OnnxModelWriter Input(string name, params long[] shape)
    {
        _graph.Input.Add(Value(name, shape));
        return this;
    }

    public OnnxModelWriter Output(string name)
    {
        _graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        return this;
    }

    /// <summary>A float initializer with seeded values in [−1, 1).</summary>
    public OnnxModelWriter Weights(string name, params long[] shape)
    {
        var random = new Random(name.Length * 7919 + shape.Length);
        long count = shape.Aggregate(1L, (a, d) => a * d);
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(shape);
        for (long i = 0; i < count; i++)
            t.FloatData.Add((float)(random.NextDouble() * 2 - 1));
        _graph.Initializer.Add(t);
        return this;
    }

    public OnnxModelWriter Ints(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return this;
    }

    public OnnxModelWriter Scalar(string name, float value)
    {
        _graph.Initializer.Add(new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, FloatData = { value } });
        return this;
    }

    public OnnxModelWriter Raw(TensorProto tensor)
    {
        _graph.Initializer.Add(tensor);
        return this;
    }

    /// <summary>Adds a node; attribute values are long, float, string, long[] or float[].</summary>
    public OnnxModelWriter Node(string op, string[] inputs, string output, params (string Name, object Value)[] attributes) =>
        Node(op, inputs, [output], attributes);

    /// <summary>Adds a node with several outputs (Split); named after its first.</summary>
    public OnnxModelWriter Node(string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = outputs[0] };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var (name, value) in attributes)
        {
            var a = new AttributeProto { Name = name };
            switch (value)
            {
                case long i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
                case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFrom(Encoding.UTF8.GetBytes(s)); break;
                case long[] ints: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ints); break;
                case float[] fs: a.Type = AttributeProto.Types.AttributeType.Floats; a.Floats.AddRange(fs); break;
                default: throw new ArgumentException($"attribute type {value.GetType().Name}");
            }
            node.Attribute.Add(a);
        }
        _graph.Node.Add(node);
        return this;
    }

    public byte[] Build()
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "ristretto-tests", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model.ToByteArray();
    }

    private static ValueInfoProto Value(string name, long[] shape)
    {
        var s = new TensorShapeProto();
        foreach (var d in shape)
            s.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = s } } };
    }
}
