using System.Text;
using Ristretto.Interchange.Onnx.Proto;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>A node with typed access to its attributes and a display name for error messages.</summary>
internal sealed class OnnxNode(NodeProto proto, int index)
{
    public NodeProto Proto { get; } = proto;

    public string Op => Proto.OpType;

    /// <summary>The node's name, or "op_output" when the model leaves it empty.</summary>
    public string Name { get; } = proto.Name.Length > 0 ? proto.Name
        : proto.Output.Count > 0 && proto.Output[0].Length > 0 ? $"{proto.OpType}_{proto.Output[0]}" : $"{proto.OpType}_{index}";

    /// <summary>Input <paramref name="i"/>, or null when absent or empty (an omitted optional input).</summary>
    public string? Input(int i) => i < Proto.Input.Count && Proto.Input[i].Length > 0 ? Proto.Input[i] : null;

    public string Output(int i = 0) => Proto.Output[i];

    private AttributeProto? Find(string name) => Proto.Attribute.FirstOrDefault(a => a.Name == name);

    public bool Has(string name) => Find(name) is not null;

    public long Int(string name, long fallback) => Find(name) is { } a ? a.I : fallback;

    public float Float(string name, float fallback) => Find(name) is { } a ? a.F : fallback;

    public string String(string name, string fallback) => Find(name) is { } a ? Encoding.UTF8.GetString(a.S.Span) : fallback;

    public long[]? Ints(string name) => Find(name) is { } a ? [.. a.Ints] : null;

    public float[]? Floats(string name) => Find(name) is { } a ? [.. a.Floats] : null;

    public TensorProto? Tensor(string name) => Find(name)?.T;
}
