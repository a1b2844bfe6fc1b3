using Ristretto.Engine;
using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// ONNX QuantizeLinear kept as an operator (its integer output read by something other than a DequantizeLinear): the
/// codes <c>clamp(round_half_even(x / scale) + zero point, QMin, QMax)</c>, held as float32 values, per tensor or per
/// channel along <see cref="Axis"/>. (A QuantizeLinear → DequantizeLinear pair imports as a plan's format instead.)
/// </summary>
public sealed class QuantizeLinearLayer : Layer
{
    /// <summary>Creates the layer; <paramref name="scales"/> and <paramref name="zeroPoints"/> hold one value, or one per index along <paramref name="axis"/>.</summary>
    public QuantizeLinearLayer(string name, float[] scales, float[] zeroPoints, int? axis, long qmin, long qmax) : base(name)
    {
        if (scales.Length == 0 || scales.Length != zeroPoints.Length || (scales.Length > 1 && axis is null) || qmin > qmax)
            throw new RistrettoException($"layer '{name}': {scales.Length} scales, {zeroPoints.Length} zero points, axis {axis?.ToString() ?? "none"}, codes [{qmin}, {qmax}] do not make a quantizer");
        Scales = scales;
        ZeroPoints = zeroPoints;
        Axis = scales.Length > 1 ? axis : null;
        QMin = qmin;
        QMax = qmax;
    }

    /// <inheritdoc />
    public override string Type => "QuantizeLinear";

    /// <summary>Scales, one per channel (one per tensor).</summary>
    public IReadOnlyList<float> Scales { get; }

    /// <summary>Zero points (whole numbers), one per scale.</summary>
    public IReadOnlyList<float> ZeroPoints { get; }

    /// <summary>The channel axis of per-channel parameters; null per tensor.</summary>
    public int? Axis { get; }

    /// <summary>Smallest code.</summary>
    public long QMin { get; }

    /// <summary>Largest code.</summary>
    public long QMax { get; }

    /// <inheritdoc/>
    protected override Layer CopyCore() => new QuantizeLinearLayer(LayerName, [.. Scales], [.. ZeroPoints], Axis, QMin, QMax);

    /// <summary>Written as float operators (Div, Round, Add, Clip): the codes stay float32 values, as here.</summary>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        int rank = onnx.Shape(x[0]).Length;
        string scaled = onnx.Helper("Div", LayerName, "scale", [x[0], DequantizeLinearLayer.Parameter(onnx, $"{LayerName}.scale", Scales, Axis, rank)], y);
        string rounded = onnx.Helper("Round", LayerName, "round", [scaled], y);
        string shifted = onnx.Helper("Add", LayerName, "zero_point", [rounded, DequantizeLinearLayer.Parameter(onnx, $"{LayerName}.zero_point", ZeroPoints, Axis, rank)], y);
        onnx.Node("Clip", LayerName, [shifted, onnx.Scalar($"{LayerName}.min", QMin), onnx.Scalar($"{LayerName}.max", QMax)], y);
    }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        if (Axis is int a && (a >= inputs[0].Length || inputs[0][a] != Scales.Count))
            throw new RistrettoException($"{Scales.Count} per-channel scales along axis {a} of an input [{string.Join("×", inputs[0])}]");
        return [inputs[0]];
    }

    /// <inheritdoc />
    public override string Describe() => $"codes [{QMin}, {QMax}], {(Axis is int a ? $"{Scales.Count} scales along axis {a}" : $"scale {Scales[0]}, zero point {ZeroPoints[0]}")}";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var x = inputs[0];
        using var scales = DequantizeLinearLayer.Broadcast(Scales, Axis, x);
        using var zeros = DequantizeLinearLayer.Broadcast(ZeroPoints, Axis, x);
        return [x.div(scales).round().Plus(zeros).ClampTo(QMin, QMax).MoveToOuterDisposeScope()];
    }
}
