using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// ONNX DequantizeLinear of integer codes computed at run time (held as float32 values): <c>(x − zero point) · scale</c> in
/// float32, per tensor or per channel along <see cref="Axis"/>. Also the integer operators' zero-point subtraction
/// (ConvInteger, MatMulInteger: scale 1). (A DequantizeLinear of constant weights imports as the dequantized weights.)
/// </summary>
public sealed class DequantizeLinearLayer : Layer
{
    /// <summary>Creates the layer; <paramref name="scales"/> and <paramref name="zeroPoints"/> hold one value, or one per index along <paramref name="axis"/>.</summary>
    public DequantizeLinearLayer(string name, float[] scales, float[] zeroPoints, int? axis) : base(name)
    {
        if (scales.Length == 0 || scales.Length != zeroPoints.Length || (scales.Length > 1 && axis is null))
            throw new RistrettoException($"layer '{name}': {scales.Length} scales, {zeroPoints.Length} zero points and axis {axis?.ToString() ?? "none"} do not make a dequantizer");
        Scales = scales;
        ZeroPoints = zeroPoints;
        Axis = scales.Length > 1 ? axis : null;
    }

    /// <inheritdoc />
    public override string Type => "DequantizeLinear";

    /// <summary>Scales, one per channel (one per tensor).</summary>
    public IReadOnlyList<float> Scales { get; }

    /// <summary>Zero points (whole numbers), one per scale.</summary>
    public IReadOnlyList<float> ZeroPoints { get; }

    /// <summary>The channel axis of per-channel parameters; null per tensor.</summary>
    public int? Axis { get; }

    /// <inheritdoc/>
    protected override Layer CopyCore() => new DequantizeLinearLayer(LayerName, [.. Scales], [.. ZeroPoints], Axis);

    /// <summary>Written as float operators (Sub, Mul), the codes being float32 values.</summary>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        int rank = onnx.Shape(x[0]).Length;
        string centred = onnx.Helper("Sub", LayerName, "zero_point", [x[0], Parameter(onnx, $"{LayerName}.zero_point", ZeroPoints, Axis, rank)], y);
        onnx.Node("Mul", LayerName, [centred, Parameter(onnx, $"{LayerName}.scale", Scales, Axis, rank)], y);
    }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        if (Axis is int a && (a >= inputs[0].Length || inputs[0][a] != Scales.Count))
            throw new RistrettoException($"{Scales.Count} per-channel scales along axis {a} of an input [{string.Join("×", inputs[0])}]");
        return [inputs[0]];
    }

    /// <inheritdoc />
    public override string Describe() => Axis is int a ? $"{Scales.Count} scales along axis {a}" : $"scale {Scales[0]}, zero point {ZeroPoints[0]}";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var x = inputs[0];
        using var scales = Broadcast(Scales, Axis, x);
        using var zeros = Broadcast(ZeroPoints, Axis, x);
        return [x.sub(zeros).mul(scales).MoveToOuterDisposeScope()];
    }

    /// <summary>Per-tensor or per-channel values as a tensor that broadcasts along <paramref name="axis"/> of <paramref name="like"/>.</summary>
    internal static Tensor Broadcast(IReadOnlyList<float> values, int? axis, Tensor like)
    {
        long[] shape = axis is int a ? Enumerable.Range(0, (int)like.dim()).Select(i => i == a ? (long)values.Count : 1L).ToArray() : [];
        return tensor(values.ToArray(), like.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32, like.device).reshape(shape);
    }

    /// <summary>The float initializer of per-tensor or per-channel parameters, shaped to broadcast on a tensor of rank <paramref name="rank"/>.</summary>
    internal static string Parameter(IOnnxWriter onnx, string name, IReadOnlyList<float> values, int? axis, int rank)
    {
        if (axis is not int a)
            return onnx.Scalar(name, values[0]);
        using var t = tensor(values.ToArray()).reshape(Enumerable.Range(0, rank).Select(i => i == a ? (long)values.Count : 1L).ToArray());
        return onnx.Initializer(name, t);
    }
}
