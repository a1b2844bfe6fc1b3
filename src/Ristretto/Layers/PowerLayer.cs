using System.Globalization;
using Ristretto.Engine;
using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Caffe's Power layer: (shift + scale · x)^power element-wise. With scale 1 and shift 0 it is ONNX Pow with a
/// constant scalar exponent.
/// </summary>
public sealed class PowerLayer(string name, double power, double scale = 1, double shift = 0) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "Power";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new PowerLayer(LayerName, Power, Scale, Shift);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("Pow", LayerName, [onnx.Affine(LayerName, x[0], y, Scale, Shift), onnx.Scalar($"{LayerName}.power", Power)], y);
    }

    /// <summary>The exponent.</summary>
    public double Power { get; } = power;

    /// <summary>Factor applied to the input first.</summary>
    public double Scale { get; } = scale;

    /// <summary>Offset added after scaling.</summary>
    public double Shift { get; } = shift;

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

    /// <inheritdoc />
    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"({Shift} + {Scale}·x)^{Power}");

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        if (Scale == 1 && Shift == 0)
            return [inputs[0].ToPower(Power)];
        using var scope = NewDisposeScope();
        var y = inputs[0];
        if (Scale != 1)
            y = y.Times(Scale);
        if (Shift != 0)
            y = y.Plus(Shift);
        return [y.ToPower(Power).MoveToOuterDisposeScope()];
    }
}
