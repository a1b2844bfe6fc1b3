using Google.Protobuf;
using Ristretto.Graph;
using Ristretto.Interchange.Onnx.Proto;
using static TorchSharp.torch;
using DataType = Ristretto.Interchange.Onnx.Proto.TensorProto.Types.DataType;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// A LeNet written as ONNX Runtime's static quantizer writes a QDQ model (quantize_static, QuantFormat.QDQ, MinMax
/// calibration, per_channel=True): each activation a QuantizeLinear → DequantizeLinear pair with an asymmetric uint8
/// scale and zero point from its calibrated range, weights int8 symmetric per output channel (axis 0) behind a
/// DequantizeLinear, biases int32 on the scale s_in·s_w (axis 0), MaxPool and ReLU between pairs of the same grid.
/// </summary>
internal sealed class OrtStyleQdqModel
{
    private readonly GraphProto _graph = new() { Name = "lenet_qdq" };
    private readonly Dictionary<string, (float Min, float Max)> _ranges;
    private float _lastScale;

    private OrtStyleQdqModel(Dictionary<string, (float Min, float Max)> ranges) => _ranges = ranges;

    /// <summary>The model's bytes for the zoo LeNet <paramref name="net"/>, calibrated on <paramref name="calibration"/> ([N, 1, 28, 28]).</summary>
    public static byte[] Write(Network net, Tensor calibration)
    {
        var ranges = new Dictionary<string, (float, float)>(StringComparer.Ordinal);
        using (var noGrad = no_grad())
        using (var scope = NewDisposeScope())
        {
            ranges["data"] = (calibration.min().item<float>(), calibration.max().item<float>());
            net.Run(new Dictionary<string, Tensor> { ["data"] = calibration }, (blob, _, t) => ranges[blob] = (t.min().item<float>(), t.max().item<float>()));
        }
        var m = new OrtStyleQdqModel(ranges);
        return m.Build(net);
    }

    private byte[] Build(Network net)
    {
        _graph.Input.Add(Value("data", [-1, 1, 28, 28]));
        string x = Qdq("data", "data");
        x = Conv(net, "conv1", x);
        x = Qdq(x, "conv1");
        x = Node("MaxPool", "pool1", [x], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        x = Qdq(x, "conv1", "pool1");
        x = Conv(net, "conv2", x);
        x = Qdq(x, "conv2");
        x = Node("MaxPool", "pool2", [x], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        x = Qdq(x, "conv2", "pool2");
        x = Node("Flatten", "flatten", [x], ("axis", 1L));
        x = Gemm(net, "ip1", x);
        x = Qdq(x, "ip1");
        x = Node("Relu", "relu1", [x]);
        x = Qdq(x, "ip1@relu1", "relu1");
        x = Gemm(net, "ip2", x);
        x = Qdq(x, "ip2");
        _graph.Output.Add(Value(x, [-1, 10]));
        var model = new ModelProto { IrVersion = 7, ProducerName = "onnx.quantize", ProducerVersion = "0.1.0", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model.ToByteArray();
    }

    /// <summary>QuantizeLinear → DequantizeLinear of <paramref name="x"/> with the uint8 grid of blob <paramref name="range"/>.</summary>
    private string Qdq(string x, string range, string? name = null)
    {
        name ??= x;
        var (lo, hi) = _ranges[range];
        float rmin = Math.Min(0, lo), rmax = Math.Max(0, hi);
        float scale = (rmax - rmin) / 255f;
        byte zero = (byte)Math.Clamp(Math.Round(-rmin / scale), 0, 255);
        _lastScale = scale;
        string s = Floats($"{name}_scale", [], [scale]), z = Bytes($"{name}_zero_point", DataType.Uint8, [], [zero]);
        string q = $"{name}_QuantizeLinear_Output";
        Add("QuantizeLinear", $"{name}_QuantizeLinear", [x, s, z], q);
        string dq = $"{name}_DequantizeLinear_Output";
        Add("DequantizeLinear", $"{name}_DequantizeLinear", [q, s, z], dq);
        return dq;
    }

    private string Conv(Network net, string layer, string x) =>
        Node("Conv", layer, [x, .. Parameters(net, layer, _lastScale)], ("kernel_shape", new long[] { 5, 5 }));

    private string Gemm(Network net, string layer, string x) => Node("Gemm", layer, [x, .. Parameters(net, layer, _lastScale)], ("transB", 1L));

    /// <summary>int8 per-channel weights and int32 bias, each behind a DequantizeLinear on axis 0.</summary>
    private string[] Parameters(Network net, string layer, float inputScale)
    {
        var weighted = (IWeightedLayer)net[layer];
        using var scope = NewDisposeScope();
        var w = weighted.Weight.detach().contiguous();
        long channels = w.shape[0];
        float[] values = w.data<float>().ToArray();
        long per = values.Length / channels;
        var scales = new float[channels];
        var codes = new byte[values.Length];
        for (long c = 0; c < channels; c++)
        {
            float max = 0;
            for (long i = 0; i < per; i++)
                max = Math.Max(max, Math.Abs(values[c * per + i]));
            scales[c] = max > 0 ? max / 127f : 1f;
            for (long i = 0; i < per; i++)
                codes[c * per + i] = unchecked((byte)(sbyte)Math.Clamp(Math.Round(values[c * per + i] / scales[c]), -127, 127));
        }
        string wq = Bytes($"{layer}.weight_quantized", DataType.Int8, w.shape, codes);
        string ws = Floats($"{layer}.weight_scale", [channels], scales);
        string wz = Bytes($"{layer}.weight_zero_point", DataType.Int8, [channels], new byte[channels]);
        Add("DequantizeLinear", $"{layer}.weight_DequantizeLinear", [wq, ws, wz], $"{layer}.weight_DequantizeLinear_Output", ("axis", 0L));
        float[] bias = weighted.Bias!.detach().contiguous().data<float>().ToArray();
        var bScales = scales.Select(s => inputScale * s).ToArray();
        var bCodes = new byte[bias.Length * 4];
        for (int c = 0; c < bias.Length; c++)
            BitConverter.TryWriteBytes(bCodes.AsSpan(4 * c), (int)Math.Round(bias[c] / bScales[c]));
        string bq = Bytes($"{layer}.bias_quantized", DataType.Int32, [bias.Length], bCodes);
        string bs = Floats($"{layer}.bias_quantized_scale", [bias.Length], bScales);
        string bz = Bytes($"{layer}.bias_quantized_zero_point", DataType.Int32, [bias.Length], new byte[bias.Length * 4]);
        Add("DequantizeLinear", $"{layer}.bias_quantized_DequantizeLinear", [bq, bs, bz], $"{layer}.bias_quantized_DequantizeLinear_Output", ("axis", 0L));
        return [$"{layer}.weight_DequantizeLinear_Output", $"{layer}.bias_quantized_DequantizeLinear_Output"];
    }

    private string Node(string op, string name, string[] inputs, params (string, object)[] attributes)
    {
        string output = $"{name}_output_0";
        Add(op, name, inputs, output, attributes);
        return output;
    }

    private void Add(string op, string name, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var (attribute, value) in attributes)
            node.Attribute.Add(value switch
            {
                long i => new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Int, I = i },
                long[] ints => new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ints } },
                _ => throw new ArgumentException(attribute),
            });
        _graph.Node.Add(node);
    }

    private string Floats(string name, long[] shape, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return Bytes(name, DataType.Float, shape, bytes);
    }

    private string Bytes(string name, DataType type, long[] shape, byte[] raw)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(shape);
        _graph.Initializer.Add(t);
        return name;
    }

    private static ValueInfoProto Value(string name, long[] shape)
    {
        var s = new TensorShapeProto();
        foreach (long d in shape)
            s.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = s } } };
    }
}
