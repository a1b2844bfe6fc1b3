using Ristretto.Graph;
using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>
/// Writes each layer of a network as ONNX nodes reading and writing the layer's blobs. The last node of a
/// layer carries the layer's name; helper nodes are named "layer/role" and write fresh values "blob/role".
/// </summary>
internal sealed class OnnxLayerWriter(OnnxGraphBuilder graph, IReadOnlyDictionary<string, long[]> shapes)
{
    /// <summary>Writes <paramref name="node"/>; a layer type with no ONNX form is a <see cref="RistrettoException"/>.</summary>
    public void Write(LayerNode node)
    {
        var layer = node.Layer;
        string name = layer.LayerName, y = node.Outputs[0];
        var x = node.Inputs.ToArray();
        switch (layer)
        {
            case ConvolutionLayer c:
                graph.Node("Conv", name, WithParameters(x[0], name, c.Weight, c.Bias), y, Window(c.Geo).Append(("group", c.Geo.Groups)).ToArray());
                break;
            case DeconvolutionLayer d:
            {
                var attributes = Window(d.Geo).Append(("group", d.Geo.Groups)).ToList();
                if (d.OutputPadding != default)
                    attributes.Add(("output_padding", new[] { d.OutputPadding.H, d.OutputPadding.W }));
                graph.Node("ConvTranspose", name, WithParameters(x[0], name, d.Weight, d.Bias), y, [.. attributes]);
                break;
            }
            case InnerProductLayer f:
            {
                string input = x[0];
                if (shapes[input].Length != 2)
                    input = Helper("Flatten", name, "flatten", [input], y, ("axis", 1L));
                graph.Node("Gemm", name, WithParameters(input, name, f.Weight, f.Bias), y, ("transB", 1L));
                break;
            }
            case BatchNormLayer b:
            {
                long channels = b.Mean.shape[0];
                using var scope = NewDisposeScope();
                string scale = graph.Initializer($"{name}.scale", b.Scale is { } s ? s : ones(channels));
                string bias = graph.Initializer($"{name}.bias", b.Bias is { } t ? t : zeros(channels));
                graph.Node("BatchNormalization", name,
                    [x[0], scale, bias, graph.Initializer($"{name}.mean", b.Mean), graph.Initializer($"{name}.variance", b.Variance)], y,
                    ("epsilon", b.Epsilon));
                break;
            }
            case BroadcastLayer b:
                graph.Node(b.Op == BroadcastLayer.Operation.Add ? "Add" : "Mul", name, [x[0], graph.Initializer($"{name}.constant", b.Constant)], y);
                break;
            case PReLULayer p:
                graph.Node("PRelu", name, [x[0], graph.Initializer($"{name}.slope", p.Slope)], y);
                break;
            case ReLULayer r:
                if (r.NegativeSlope == 0)
                    graph.Node("Relu", name, x, y);
                else
                    graph.Node("LeakyRelu", name, x, y, ("alpha", r.NegativeSlope));
                break;
            case ClipLayer c:
                graph.Node("Clip", name,
                    [x[0], c.Min is { } lo ? graph.Scalar($"{name}.min", lo) : "", c.Max is { } hi ? graph.Scalar($"{name}.max", hi) : ""], y);
                break;
            case SigmoidLayer:
                graph.Node("Sigmoid", name, x, y);
                break;
            case TanhLayer:
                graph.Node("Tanh", name, x, y);
                break;
            case EluLayer e:
                if (e.Gamma == 1)
                    graph.Node("Elu", name, x, y, ("alpha", e.Alpha));
                else
                    graph.Node("Selu", name, x, y, ("alpha", e.Alpha), ("gamma", e.Gamma));
                break;
            case PowerLayer p:
                graph.Node("Pow", name, [Affine(name, x[0], y, p.Scale, p.Shift), graph.Scalar($"{name}.power", p.Power)], y);
                break;
            case PoolingLayer p:
                WritePooling(p, x[0], y);
                break;
            case LrnLayer l when !l.WithinChannel:
                graph.Node("LRN", name, x, y, ("size", (long)l.Size), ("alpha", l.Alpha), ("beta", l.Beta), ("bias", l.K));
                break;
            case LrnLayer l:
            {
                // Caffe's own within-channel LRN: x · (1 + α · mean over the n×n window of x²)^−β.
                long pad = (l.Size - 1) / 2;
                var square = Helper("Mul", name, "square", [x[0], x[0]], y);
                var mean = Helper("AveragePool", name, "mean", [square], y, ("kernel_shape", new long[] { l.Size, l.Size }),
                    ("pads", new[] { pad, pad, pad, pad }), ("count_include_pad", 1L));
                var power = Helper("Pow", name, "power", [Affine(name, mean, y, l.Alpha, 1), graph.Scalar($"{name}.power", -l.Beta)], y);
                graph.Node("Mul", name, [x[0], power], y);
                break;
            }
            case ConcatLayer c:
                graph.Node("Concat", name, x, y, ("axis", (long)c.Axis));
                break;
            case EltwiseLayer e:
                WriteEltwise(e, x, y);
                break;
            case DropoutLayer d:
                graph.Node("Dropout", name, [x[0], graph.Scalar($"{name}.ratio", d.Ratio)], y);
                break;
            case SoftmaxLayer s:
                graph.Node("Softmax", name, x, y, ("axis", s.Axis));
                break;
            case LogSoftmaxLayer s:
                graph.Node("LogSoftmax", name, x, y, ("axis", s.Axis));
                break;
            case FlattenLayer f:
                graph.Node("Flatten", name, x, y, ("axis", (long)f.Axis));
                break;
            case ReshapeLayer r:
                graph.Node("Reshape", name, [x[0], graph.Int64s($"{name}.shape", r.Shape.ToArray())], y);
                break;
            case TransposeLayer t:
                graph.Node("Transpose", name, x, y, ("perm", t.Permutation.ToArray()));
                break;
            case PadLayer p:
                graph.Node("Pad", name, [x[0], graph.Int64s($"{name}.pads", p.Pads.ToArray()), graph.Scalar($"{name}.value", p.Value)], y);
                break;
            case SliceLayer s:
            {
                var ends = s.Starts.Zip(s.Lengths, (start, length) => length == -1 ? long.MaxValue : start + length).ToArray();
                var axes = Enumerable.Range(0, s.Starts.Count).Select(i => (long)i).ToArray();
                graph.Node("Slice", name, [x[0], graph.Int64s($"{name}.starts", s.Starts.ToArray()), graph.Int64s($"{name}.ends", ends),
                    graph.Int64s($"{name}.axes", axes)], y);
                break;
            }
            default:
                throw new RistrettoException($"layer '{name}' ({layer.Type}) has no ONNX form; export the float network");
        }
    }

    private string[] WithParameters(string input, string layer, Tensor weight, Tensor? bias) =>
        bias is null
            ? [input, graph.Initializer($"{layer}.weight", weight)]
            : [input, graph.Initializer($"{layer}.weight", weight), graph.Initializer($"{layer}.bias", bias)];

    private static IEnumerable<(string, object)> Window(ConvolutionLayer.Geometry g) =>
    [
        ("kernel_shape", new[] { g.Kernel.H, g.Kernel.W }), ("strides", new[] { g.Stride.H, g.Stride.W }),
        ("pads", new[] { g.Pad.H, g.Pad.W, g.Pad.H, g.Pad.W }), ("dilations", new[] { g.Dilation.H, g.Dilation.W }),
    ];

    /// <summary>A helper node named "layer/role" writing a fresh value "blob/role"; returns the value.</summary>
    private string Helper(string op, string layer, string role, string[] inputs, string blob, params (string, object)[] attributes)
    {
        string value = graph.Fresh($"{blob}/{role}");
        graph.Node(op, $"{layer}/{role}", inputs, value, attributes);
        return value;
    }

    /// <summary>shift + scale · x as Mul and Add helper nodes, each only when needed; returns the value.</summary>
    private string Affine(string layer, string x, string blob, double scale, double shift)
    {
        if (scale != 1)
            x = Helper("Mul", layer, "scale", [x, graph.Scalar($"{layer}.scale", scale)], blob);
        if (shift != 0)
            x = Helper("Add", layer, "shift", [x, graph.Scalar($"{layer}.shift", shift)], blob);
        return x;
    }

    private void WritePooling(PoolingLayer p, string x, string y)
    {
        bool max = p.PoolMethod == PoolingLayer.Method.Max;
        if (p.Global)
        {
            graph.Node(max ? "GlobalMaxPool" : "GlobalAveragePool", p.LayerName, [x], y);
            return;
        }
        var attributes = new List<(string, object)>
        {
            ("kernel_shape", new[] { p.Kernel.H, p.Kernel.W }), ("strides", new[] { p.Stride.H, p.Stride.W }),
            ("pads", new[] { p.Pad.H, p.Pad.W, p.Pad.H, p.Pad.W }), ("ceil_mode", p.CeilMode ? 1L : 0L),
        };
        // Without padding, counting it or not divides by the same clipped window.
        if (!max)
            attributes.Add(("count_include_pad", p.CountIncludePad && p.Pad != (0, 0) ? 1L : 0L));
        graph.Node(max ? "MaxPool" : "AveragePool", p.LayerName, [x], y, [.. attributes]);
    }

    private void WriteEltwise(EltwiseLayer e, string[] x, string y)
    {
        string name = e.LayerName;
        var c = e.Coefficients;
        switch (e.Op)
        {
            case EltwiseLayer.Operation.Max:
                graph.Node("Max", name, x, y);
                return;
            case EltwiseLayer.Operation.Prod:
                string product = x[0];
                for (int i = 1; i < x.Length - 1; i++)
                    product = Helper("Mul", name, $"product{i}", [product, x[i]], y);
                graph.Node("Mul", name, [product, x[^1]], y);
                return;
        }
        if (c.Count == 0 || c.All(v => v == 1))
            graph.Node(x.Length == 2 ? "Add" : "Sum", name, x, y);
        else if (x.Length == 2 && c[0] == 1 && c[1] == -1)
            graph.Node("Sub", name, x, y);
        else
        {
            var terms = x.Select((input, i) => c[i] == 1 ? input : Helper("Mul", name, $"coeff{i}", [input, graph.Scalar($"{name}.coeff{i}", c[i])], y)).ToArray();
            graph.Node("Sum", name, terms, y);
        }
    }
}
