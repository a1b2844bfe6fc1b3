using System.Globalization;
using System.Text;
using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// Prototype for <see cref="JitConvBenchmark"/>: the fused convolutions run one <c>invoke</c> per layer inside our own
/// graph runner (as substitutes, the way a quantized pass would need them, with trims between layers), instead of one
/// script for the whole network. Each non-grouped k×k convolution (not 1×1, no input padding needed) becomes one call of
/// <c>ops.mkldnn._convolution_pointwise</c> with its weights prepacked once, with the ReLU that only reads it fused
/// (that ReLU is substituted by an alias). Everything else runs as in our path, on channels-last tensors.
/// </summary>
internal sealed class FusedLayers : IDisposable
{
    private readonly jit.ScriptModule _module;
    private readonly List<Tensor> _owned = [];

    public FusedLayers(Network net, long[] inputShape)
    {
        var shapes = net.Validate(new Dictionary<string, long[]> { [net.Inputs[0].Name] = inputShape });
        var nodes = net.Nodes;
        var code = new StringBuilder();
        var plan = new List<(int Node, int Relu, ConvolutionLayer Conv)>();
        for (int i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].Layer is ConvolutionLayer { Geo.Kernel: (1, 1) } pointwise && Environment.GetEnvironmentVariable("RISTRETTO_JIT_1X1") != "cl")
            {
                // ATen hands a channels-last 1×1 convolution to oneDNN (brgconv_1x1), wrong on ResNet-18's layer4
                // shortcut: give it an NCHW input, which ATen runs as a matrix product.
                Substitutes[pointwise.LayerName] = new Nchw(pointwise);
                continue;
            }
            if (nodes[i].Layer is not ConvolutionLayer { Geo.Groups: 1 } c || c.Geo.Kernel == (1, 1)
                || OneDnn.PaddedInputChannels(c.Weight.shape[1]) != c.Weight.shape[1])
                continue;
            int relu = net.Outputs.Contains(nodes[i].Outputs[0]) ? -1 : OnlyReader(nodes, i); // a network output is read outside too
            if (relu >= 0 && nodes[relu].Layer is not ReLULayer { NegativeSlope: 0 })
                relu = -1;
            var g = c.Geo;
            string geo = string.Create(CultureInfo.InvariantCulture, $"[{g.Pad.H}, {g.Pad.W}], [{g.Stride.H}, {g.Stride.W}], [{g.Dilation.H}, {g.Dilation.W}], 1");
            var inShape = shapes[nodes[i].Inputs[0]];
            int k = plan.Count;
            code.Append(CultureInfo.InvariantCulture, $"def p{k}(self, w):\n  return ops.mkldnn._reorder_convolution_weight(w, {geo}, [{string.Join(", ", inShape)}])\n");
            code.Append(CultureInfo.InvariantCulture, $"def c{k}(self, x, w, b):\n  scalars = annotate(List[Optional[number]], [])\n  return ops.mkldnn._convolution_pointwise(x, w, b, {geo}, \"{(relu >= 0 ? "relu" : "none")}\", scalars, None)\n");
            plan.Add((i, relu, c));
        }
        _module = ScriptArchive.Load(string.Join("\n", code.ToString().Split('\n').Select(l => l.Length == 0 ? l : "  " + l)));
        using var mode = inference_mode();
        for (int k = 0; k < plan.Count; k++)
        {
            var (node, relu, conv) = plan[k];
            var packed = (Tensor)_module.invoke($"p{k}", conv.Weight.detach());
            packed.DetachFromDisposeScope();
            var bias = conv.Bias is null ? zeros(conv.Weight.shape[0]) : conv.Bias.detach().clone();
            bias.DetachFromDisposeScope();
            _owned.Add(packed);
            _owned.Add(bias);
            Substitutes[conv.LayerName] = new Call(conv.LayerName, _module, $"c{k}", packed, bias);
            if (relu >= 0)
                Substitutes[nodes[relu].Layer.LayerName] = new Alias(nodes[relu].Layer.LayerName);
        }
    }

    /// <summary>The layers to run instead of the network's own, by name.</summary>
    public Dictionary<string, Layer> Substitutes { get; } = new(StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var layer in Substitutes.Values.Where(l => l is not Nchw))
            layer.Dispose();
        foreach (var t in _owned)
            t.Dispose();
        _module.Dispose();
    }

    /// <summary>The one node after <paramref name="i"/> that reads its first output (before the blob is written again), or -1 when none or several do.</summary>
    internal static int OnlyReader(IReadOnlyList<LayerNode> nodes, int i)
    {
        string blob = nodes[i].Outputs[0];
        int reader = -1;
        for (int j = i + 1; j < nodes.Count; j++)
        {
            if (nodes[j].Inputs.Contains(blob))
            {
                if (reader >= 0)
                    return -1;
                reader = j;
            }
            if (nodes[j].Outputs.Contains(blob))
                break;
        }
        return reader;
    }

    /// <summary>One fused convolution: an <c>invoke</c> of the module's method with the prepacked weights.</summary>
    private sealed class Call(string name, jit.ScriptModule module, string method, Tensor weight, Tensor bias) : Layer(name)
    {
        public override string Type => "FusedConvolution";

        public override long[][] OutputShapes(long[][] inputs) => throw new NotSupportedException();

        internal override bool OutputIsFresh => true;

        public override Tensor[] forward(Tensor[] inputs) => [(Tensor)module.invoke(method, inputs[0], weight, bias)];
    }

    /// <summary>A layer run on an NCHW-contiguous copy of its input.</summary>
    private sealed class Nchw(Layer inner) : Layer(inner.LayerName)
    {
        public override string Type => inner.Type;

        public override long[][] OutputShapes(long[][] inputs) => inner.OutputShapes(inputs);

        internal override bool OutputIsFresh => true;

        public override Tensor[] forward(Tensor[] inputs)
        {
            using var x = inputs[0].contiguous();
            return inner.forward([x]);
        }
    }

    /// <summary>A ReLU already applied by the convolution before it.</summary>
    private sealed class Alias(string name) : Layer(name)
    {
        public override string Type => "ReLU";

        public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

        public override Tensor[] forward(Tensor[] inputs) => [inputs[0].alias()];
    }
}
