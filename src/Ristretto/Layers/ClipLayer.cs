using System.Globalization;
using Ristretto.Engine;
using Ristretto.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Clamps to [<see cref="Min"/>, <see cref="Max"/>] (ONNX Clip; ReLU6 is Clip(0, 6)). A null bound is open.</summary>
public sealed class ClipLayer : Layer
{
    /// <summary>Creates the layer; at least one bound is usually given.</summary>
    public ClipLayer(string name, double? min, double? max) : base(name)
    {
        if (min is { } lo && max is { } hi && lo > hi)
            throw new RistrettoException($"layer '{name}': clip minimum {lo} exceeds maximum {hi}");
        Min = min;
        Max = max;
    }

    /// <inheritdoc />
    public override string Type => "Clip";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new ClipLayer(LayerName, Min, Max);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Clip", LayerName,
            [x[0], Min is { } lo ? onnx.Scalar($"{LayerName}.min", lo) : "", Max is { } hi ? onnx.Scalar($"{LayerName}.max", hi) : ""], y);
    }

    /// <summary>Lower bound, or null.</summary>
    public double? Min { get; }

    /// <summary>Upper bound, or null.</summary>
    public double? Max { get; }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

    /// <inheritdoc />
    public override string Describe() => Min == 0 && Max == 6 ? "ReLU6"
        : $"[{Min?.ToString(CultureInfo.InvariantCulture) ?? "−∞"}, {Max?.ToString(CultureInfo.InvariantCulture) ?? "∞"}]";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using Scalar? min = Min?.ToScalar(), max = Max?.ToScalar();
        return [inputs[0].clamp(min, max)];
    }
}
