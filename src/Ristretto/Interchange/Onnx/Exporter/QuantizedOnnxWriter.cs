using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Interchange.Onnx.Proto;
using Ristretto.Quantization;
using static TorchSharp.torch;
using DataType = Ristretto.Interchange.Onnx.Proto.TensorProto.Types.DataType;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>
/// What every quantized form shares: it finds each layer's spec in the plan (a carried <see cref="IQuantizedLayer"/> is
/// written through its float layer), refuses what no form writes (a quantized layer that is not a convolution or inner
/// product, stochastic rounding) in one line naming the layer, and hands the float layer to the form.
/// </summary>
internal abstract class QuantizedOnnxWriter(OnnxGraphBuilder graph, IReadOnlyDictionary<string, long[]> shapes, QuantizationPlan plan, string form)
    : INetworkOnnxWriter
{
    /// <summary>The graph being built.</summary>
    protected OnnxGraphBuilder Graph { get; } = graph;

    /// <summary>The form's name in messages (QDQ, QOperator, QONNX).</summary>
    protected string Form { get; } = form;

    /// <summary>The layer being written (its float layer).</summary>
    protected Layer? Current { get; private set; }

    /// <summary>The spec of the layer being written; null when it runs in float.</summary>
    protected LayerQuantization? Spec { get; private set; }

    /// <inheritdoc/>
    public void Write(LayerNode node)
    {
        var layer = node.Layer is IQuantizedLayer q ? q.Inner : node.Layer;
        var spec = plan.Layers.TryGetValue(layer.LayerName, out var s) && !s.IsFloat ? s : null;
        if (spec is not null)
        {
            if (layer is not IWeightedLayer)
                throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}): the {Form} form quantizes convolutions and inner products only");
            if (spec.Rounding != Rounding.Nearest)
                throw new RistrettoException($"layer '{layer.LayerName}': ONNX rounds to nearest (half to even); the plan asks for {spec.Rounding} rounding");
        }
        Current = layer;
        Spec = spec;
        try
        {
            WriteLayer(layer, [.. node.Inputs], node.Outputs[0]);
        }
        finally
        {
            Current = null;
            Spec = null;
        }
    }

    /// <summary>Writes <paramref name="layer"/> (float; <see cref="Spec"/> says how it is quantized) from <paramref name="inputs"/> to <paramref name="output"/>.</summary>
    protected abstract void WriteLayer(Layer layer, string[] inputs, string output);

    /// <inheritdoc/>
    public virtual void Finish(string output)
    {
    }

    /// <inheritdoc/>
    public virtual void Node(string op, string name, string[] inputs, string output, params (string Name, object Value)[] attributes) =>
        Graph.Node(op, name, inputs, output, attributes);

    /// <inheritdoc/>
    public virtual string Initializer(string name, Tensor value) => Graph.Initializer(name, value);

    /// <inheritdoc/>
    public string Scalar(string name, double value) => Graph.Scalar(name, value);

    /// <inheritdoc/>
    public string Int64s(string name, long[] values) => Graph.Int64s(name, values);

    /// <inheritdoc/>
    public string Fresh(string wanted) => Graph.Fresh(wanted);

    private readonly Dictionary<string, long[]> _extraShapes = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public long[] Shape(string blob) => _extraShapes.TryGetValue(blob, out var shape) ? shape : shapes[blob];

    /// <summary>Records that value <paramref name="value"/> (made by the form) has the shape of <paramref name="like"/>; returns it.</summary>
    protected string ShapedLike(string value, string like)
    {
        _extraShapes[value] = Shape(like);
        return value;
    }

    /// <summary>Which parameter of the current quantized layer initializer <paramref name="name"/> is: "weights", "bias", or null.</summary>
    protected string? ParameterPart(string name) =>
        Spec is null || Current is null ? null
        : name == $"{Current.LayerName}.weight" ? "weights"
        : name == $"{Current.LayerName}.bias" ? "bias"
        : null;

    /// <summary>The spec's format of <paramref name="part"/> (weights, bias, input, output).</summary>
    protected NumberFormat? FormatOf(string part) => part switch
    {
        "weights" => Spec?.Weights,
        "bias" => Spec?.Bias,
        "input" => Spec?.Input,
        _ => Spec?.Output,
    };

    /// <summary><paramref name="format"/>'s integer grid; a format that is none is one error naming the layer.</summary>
    protected AffineGrid Grid(NumberFormat format, string part, string? hint = null) =>
        format.Affine ?? throw new RistrettoException(
            $"layer '{Current?.LayerName}': its {part} format ({format}) is not an integer grid; the {Form} form cannot express it{hint}");

    /// <summary>
    /// The integer codes of <paramref name="value"/> trimmed to <paramref name="format"/>: <c>round(v / scale) + zero point</c>,
    /// per channel along the grid's axis (every trimmed value is on the grid, so the division is exact up to float rounding).
    /// </summary>
    protected static long[] Codes(Tensor value, NumberFormat format, AffineGrid grid)
    {
        using var scope = NewDisposeScope();
        var trimmed = format.Trim(value.detach().to(CPU).to(ScalarType.Float32)).contiguous();
        float[] data = trimmed.data<float>().ToArray();
        long inner = grid.Axis is int a ? trimmed.shape.Skip(a + 1).Aggregate(1L, (x, d) => x * d) : data.Length;
        int channels = grid.Scales.Count;
        var codes = new long[data.Length];
        for (long i = 0; i < data.Length; i++)
        {
            int c = grid.Axis is null ? 0 : (int)(i / inner % channels);
            codes[i] = (long)Math.Round(data[i] / grid.Scales[c], MidpointRounding.ToEven) + grid.ZeroPoints[c];
        }
        return codes;
    }

    /// <summary>Serialises <paramref name="codes"/> as <paramref name="type"/> (4-bit types two a byte, the first in the low nibble).</summary>
    protected static byte[] Bytes(long[] codes, DataType type)
    {
        switch (type)
        {
            case DataType.Int8: return codes.Select(c => unchecked((byte)(sbyte)c)).ToArray();
            case DataType.Uint8: return codes.Select(c => (byte)c).ToArray();
            case DataType.Int4 or DataType.Uint4:
            {
                var packed = new byte[(codes.Length + 1) / 2];
                for (int i = 0; i < codes.Length; i++)
                    packed[i / 2] |= (byte)((codes[i] & 0xF) << (4 * (i % 2)));
                return packed;
            }
            case DataType.Int16 or DataType.Uint16:
            {
                var bytes = new byte[codes.Length * 2];
                for (int i = 0; i < codes.Length; i++)
                    BitConverter.TryWriteBytes(bytes.AsSpan(2 * i), unchecked((ushort)codes[i]));
                return bytes;
            }
            case DataType.Int32:
            {
                var bytes = new byte[codes.Length * 4];
                for (int i = 0; i < codes.Length; i++)
                    BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), checked((int)codes[i]));
                return bytes;
            }
            default: throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    /// <summary>The ONNX element type whose range is exactly <paramref name="grid"/>'s codes, or null.</summary>
    protected static DataType? ExactType(AffineGrid grid) => (grid.QMin, grid.QMax) switch
    {
        (-128, 127) => DataType.Int8,
        (0, 255) => DataType.Uint8,
        (-8, 7) => DataType.Int4,
        (0, 15) => DataType.Uint4,
        (-32768, 32767) => DataType.Int16,
        (0, 65535) => DataType.Uint16,
        _ => null,
    };

    /// <summary>The smallest ONNX element type that holds every code of <paramref name="grid"/> (for stored parameters).</summary>
    protected static DataType Container(AffineGrid grid) =>
        ExactType(grid) is { } exact ? exact
        : grid.QMin >= -128 && grid.QMax <= 127 ? DataType.Int8
        : grid.QMin >= 0 && grid.QMax <= 255 ? DataType.Uint8
        : DataType.Int32;

    /// <summary>The default-domain opset an element type needs in QuantizeLinear/DequantizeLinear (13; 21 for 4- and 16-bit types).</summary>
    protected void RaiseOpsetFor(DataType type)
    {
        if (type is DataType.Int4 or DataType.Uint4 or DataType.Int16 or DataType.Uint16)
            Graph.DefaultOpset = Math.Max(Graph.DefaultOpset, 21);
    }

    /// <summary>A typed initializer of codes; returns its name.</summary>
    protected string CodesInitializer(string name, long[] shape, long[] codes, DataType type) => Graph.Add(name, type, shape, Bytes(codes, type));

    /// <summary>A float32 initializer of the grid's scales: a scalar per tensor, else shaped <paramref name="perChannelShape"/>.</summary>
    protected string Scales(string name, AffineGrid grid, long[] perChannelShape) =>
        grid.Axis is null ? Graph.Floats(name, [], [(float)grid.Scales[0]]) : Graph.Floats(name, perChannelShape, grid.Scales.Select(s => (float)s).ToArray());

    /// <summary>An initializer of the grid's zero points as <paramref name="type"/>: a scalar per tensor, else shaped <paramref name="perChannelShape"/>.</summary>
    protected string ZeroPoints(string name, AffineGrid grid, long[] perChannelShape, DataType type) =>
        grid.Axis is null ? CodesInitializer(name, [], [grid.ZeroPoints[0]], type)
        : CodesInitializer(name, perChannelShape, grid.ZeroPoints.Select(z => (long)z).ToArray(), type);
}
