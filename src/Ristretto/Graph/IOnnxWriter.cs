using static TorchSharp.torch;

namespace Ristretto.Graph;

/// <summary>
/// What a layer needs to write itself as ONNX nodes (<see cref="Layer.WriteOnnx"/>): the exporter implements it. The
/// last node of a layer carries the layer's name and writes its output blob; helper nodes are named "layer/role"
/// and write fresh values "blob/role".
/// </summary>
public interface IOnnxWriter
{
    /// <summary>Adds node <paramref name="name"/>: operator <paramref name="op"/> from <paramref name="inputs"/> to <paramref name="output"/>.</summary>
    void Node(string op, string name, string[] inputs, string output, params (string Name, object Value)[] attributes);

    /// <summary>A float initializer holding <paramref name="value"/>; returns its name.</summary>
    string Initializer(string name, Tensor value);

    /// <summary>A float scalar initializer; returns its name.</summary>
    string Scalar(string name, double value);

    /// <summary>An int64 vector initializer; returns its name.</summary>
    string Int64s(string name, long[] values);

    /// <summary>A name not used yet, starting from <paramref name="wanted"/>.</summary>
    string Fresh(string wanted);

    /// <summary>The shape of blob <paramref name="blob"/> (batch first).</summary>
    long[] Shape(string blob);

    /// <summary>A helper node named "layer/role" writing a fresh value "blob/role"; returns the value.</summary>
    string Helper(string op, string layer, string role, string[] inputs, string blob, params (string Name, object Value)[] attributes)
    {
        string value = Fresh($"{blob}/{role}");
        Node(op, $"{layer}/{role}", inputs, value, attributes);
        return value;
    }

    /// <summary>shift + scale · x as Mul and Add helper nodes, each only when needed; returns the value.</summary>
    string Affine(string layer, string x, string blob, double scale, double shift)
    {
        if (scale != 1)
            x = Helper("Mul", layer, "scale", [x, Scalar($"{layer}.scale", scale)], blob);
        if (shift != 0)
            x = Helper("Add", layer, "shift", [x, Scalar($"{layer}.shift", shift)], blob);
        return x;
    }

    /// <summary>The input followed by the layer's weight and (when present) bias initializers.</summary>
    string[] WithParameters(string input, string layer, Tensor weight, Tensor? bias) =>
        bias is null
            ? [input, Initializer($"{layer}.weight", weight)]
            : [input, Initializer($"{layer}.weight", weight), Initializer($"{layer}.bias", bias)];
}
