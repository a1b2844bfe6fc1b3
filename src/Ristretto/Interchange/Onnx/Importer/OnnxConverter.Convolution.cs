using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>Conv, ConvTranspose and pooling: 2-D natively, 1-D through a reshape to height 1.</summary>
internal sealed partial class OnnxConverter
{
    /// <summary>Per-axis window settings of a Conv or pooling node, with auto_pad resolved.</summary>
    private sealed record Window(long[] Kernel, long[] Strides, long[] Dilations, long[] Begin, long[] End)
    {
        public bool Symmetric => Begin.SequenceEqual(End);
    }

    private Window ReadWindow(OnnxNode node, long[] spatialInput, long[] kernel, bool transposed = false)
    {
        int n = kernel.Length;
        var strides = node.Ints("strides") ?? Enumerable.Repeat(1L, n).ToArray();
        var dilations = node.Ints("dilations") ?? Enumerable.Repeat(1L, n).ToArray();
        var pads = node.Ints("pads") ?? new long[2 * n];
        Require(strides.Length == n && dilations.Length == n && pads.Length == 2 * n,
            $"strides, dilations and pads must match the {n} spatial axes of the kernel");
        Require(strides.All(s => s >= 1) && dilations.All(d => d >= 1) && pads.All(p => p >= 0), "strides and dilations must be ≥ 1 and pads ≥ 0");
        string autoPad = node.String("auto_pad", "NOTSET");
        var begin = pads.Take(n).ToArray();
        var end = pads.Skip(n).ToArray();
        switch (autoPad)
        {
            case "NOTSET" or "":
                break;
            case "VALID":
                begin = new long[n];
                end = new long[n];
                break;
            case "SAME_UPPER" or "SAME_LOWER" when !transposed:
                for (int i = 0; i < n; i++)
                {
                    long outSize = (spatialInput[i] + strides[i] - 1) / strides[i];
                    long total = Math.Max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatialInput[i]);
                    long small = total / 2;
                    (begin[i], end[i]) = autoPad == "SAME_UPPER" ? (small, total - small) : (total - small, small);
                }
                break;
            default:
                throw new RistrettoException($"auto_pad {autoPad} is not supported here");
        }
        return new Window(kernel, strides, dilations, begin, end);
    }

    private void ConvertConv(OnnxNode node)
    {
        var (x, xs) = Runtime(node.Input(0));
        var w = Constant(node, node.Input(1), "weight");
        Tensor? b = node.Input(2) is { } bn ? Constant(node, bn, "bias") : null;
        int spatial = (int)w.dim() - 2;
        Require(spatial is 1 or 2 && xs.Length == spatial + 2, $"only 1-D and 2-D convolutions are supported (weights [{string.Join("×", w.shape)}], input [{string.Join("×", xs)}])");
        var kernel = node.Ints("kernel_shape") ?? w.shape.Skip(2).ToArray();
        Require(kernel.SequenceEqual(w.shape.Skip(2)), $"kernel_shape [{string.Join(", ", kernel)}] disagrees with the weights [{string.Join("×", w.shape)}]");
        var win = ReadWindow(node, xs.Skip(2).ToArray(), kernel);
        long groups = node.Int("group", 1);
        if (spatial == 1)
        {
            // [N, C, L] runs as [N, C, 1, L] through a 2-D convolution.
            x = Chain(new ReshapeLayer(LayerName(node, "to2d"), [0, 0, 1, -1]), x, $"{node.Output()}/to2d");
            win = new Window([1, .. win.Kernel], [1, .. win.Strides], [1, .. win.Dilations], [0, .. win.Begin], [0, .. win.End]);
        }
        x = PadIfAsymmetric(node, x, win, 0);
        var geometry = new ConvolutionLayer.Geometry((win.Kernel[0], win.Kernel[1]), (win.Strides[0], win.Strides[1]),
            win.Symmetric ? (win.Begin[0], win.Begin[1]) : (0, 0), (win.Dilations[0], win.Dilations[1]), groups);
        using (var scope = NewDisposeScope())
        {
            var weight = spatial == 1 ? w.unsqueeze(2) : w;
            var layer = new ConvolutionLayer(LayerName(node), Param(weight), b is null ? null : Param(b), geometry);
            if (spatial == 2)
            {
                Chain(layer, x, node.Output());
                return;
            }
            x = Chain(layer, x, $"{node.Output()}/conv2d");
        }
        Chain(new ReshapeLayer(LayerName(node, "to1d"), [0, 0, -1]), x, node.Output());
    }

    /// <summary>Adds an explicit pad layer when begin and end padding differ (the window then pads nothing).</summary>
    private string PadIfAsymmetric(OnnxNode node, string x, Window win, double value)
    {
        if (win.Symmetric)
            return x;
        long[] pads = [0, 0, .. win.Begin, 0, 0, .. win.End];
        return Chain(new PadLayer(LayerName(node, "pad"), pads, value), x, $"{node.Output()}/pad");
    }

    private void ConvertConvTranspose(OnnxNode node)
    {
        var (x, xs) = Runtime(node.Input(0));
        var w = Constant(node, node.Input(1), "weight");
        Tensor? b = node.Input(2) is { } bn ? Constant(node, bn, "bias") : null;
        Require(w.dim() == 4 && xs.Length == 4, "only 2-D transposed convolutions are supported");
        Require(node.Ints("output_shape") is null, "output_shape is not supported; give pads and output_padding instead");
        var kernel = node.Ints("kernel_shape") ?? w.shape.Skip(2).ToArray();
        var win = ReadWindow(node, xs.Skip(2).ToArray(), kernel, transposed: true);
        var outPad = node.Ints("output_padding") ?? [0, 0];
        long groups = node.Int("group", 1);
        var geometry = new ConvolutionLayer.Geometry((kernel[0], kernel[1]), (win.Strides[0], win.Strides[1]),
            win.Symmetric ? (win.Begin[0], win.Begin[1]) : (0, 0), (win.Dilations[0], win.Dilations[1]), groups);
        var layer = new DeconvolutionLayer(LayerName(node), Param(w), b is null ? null : Param(b), geometry, (outPad[0], outPad[1]));
        if (win.Symmetric)
        {
            Chain(layer, x, node.Output());
            return;
        }
        // Unequal pads crop the full output: begin rows at the start, end rows at the end.
        x = Chain(layer, x, $"{node.Output()}/full");
        var full = _shapes[x];
        Chain(new SliceLayer(LayerName(node, "crop"), [0, 0, win.Begin[0], win.Begin[1]],
            [-1, -1, full[2] - win.Begin[0] - win.End[0], full[3] - win.Begin[1] - win.End[1]]), x, node.Output());
    }

    private void ConvertPool(OnnxNode node, PoolingLayer.Method method)
    {
        var (x, xs) = Runtime(node.Input(0));
        Require(xs.Length is 3 or 4 or 5, $"only 1-D, 2-D and 3-D pooling are supported (input [{string.Join("×", xs)}])");
        Require(node.Proto.Output.Count < 2 || node.Proto.Output[1].Length == 0 || !_consumers.ContainsKey(node.Proto.Output[1]),
            $"its second output '{(node.Proto.Output.Count > 1 ? node.Proto.Output[1] : "")}' (the indices of the maxima) is read; this version computes only the pooled values");
        var kernel = node.Ints("kernel_shape") ?? throw new RistrettoException("kernel_shape is missing");
        Require(kernel.Length == xs.Length - 2, $"kernel_shape [{string.Join(", ", kernel)}] does not match the {xs.Length - 2} spatial axes of the input");
        var win = ReadWindow(node, xs.Skip(2).ToArray(), kernel);
        Require(method == PoolingLayer.Method.Max || win.Dilations.All(d => d == 1), "average pooling with dilations other than 1 is not supported");
        if (xs.Length == 5)
        {
            Pool3d(node, method, x, xs, win);
            return;
        }
        bool oneD = xs.Length == 3;
        if (oneD)
        {
            // [N, C, L] pools as [N, C, 1, L] with a window of height 1.
            x = Chain(new ReshapeLayer(LayerName(node, "to2d"), [0, 0, 1, -1]), x, $"{node.Output()}/to2d");
            xs = [xs[0], xs[1], 1, xs[2]];
            kernel = [1, .. kernel];
            win = new Window([1, .. win.Kernel], [1, .. win.Strides], [1, .. win.Dilations], [0, .. win.Begin], [0, .. win.End]);
        }
        string output = oneD ? $"{node.Output()}/pool2d" : node.Output();
        Pool(node, method, x, xs, kernel, win, output);
        if (oneD)
            Chain(new ReshapeLayer(LayerName(node, "to1d"), [0, 0, -1]), output, node.Output());
    }

    /// <summary>
    /// A 3-D pooling as two 2-D ones, which a box window allows: [N, C, D, H, W] pools over (H, W) as [N, C·D, H, W],
    /// then over D as [N, C, D, H'·W'] with a window of width 1. Maxima of maxima are the maximum; an average of
    /// averages is the average, since each output's valid (or counted) window is a product of one count per axis.
    /// </summary>
    private void Pool3d(OnnxNode node, PoolingLayer.Method method, string x, long[] xs, Window win)
    {
        string output = node.Output();
        x = Chain(new ReshapeLayer(LayerName(node, "planes"), [0, -1, xs[3], xs[4]]), x, $"{output}/planes");
        var plane = new Window(win.Kernel[1..], win.Strides[1..], win.Dilations[1..], win.Begin[1..], win.End[1..]);
        Pool(node, method, x, [xs[0], xs[1] * xs[2], xs[3], xs[4]], plane.Kernel, plane, $"{output}/hw");
        var hw = _shapes[_builder.Resolve($"{output}/hw")];
        x = Chain(new ReshapeLayer(LayerName(node, "depth"), [0, xs[1], xs[2], -1]), $"{output}/hw", $"{output}/depth");
        var depth = new Window([win.Kernel[0], 1], [win.Strides[0], 1], [win.Dilations[0], 1], [win.Begin[0], 0], [win.End[0], 0]);
        Pool(node, method, x, [xs[0], xs[1], xs[2], hw[2] * hw[3]], depth.Kernel, depth, $"{output}/d");
        Chain(new ReshapeLayer(LayerName(node, "to3d"), [0, xs[1], -1, hw[2], hw[3]]), $"{output}/d", output);
    }

    /// <summary>A 2-D pooling of <paramref name="x"/> into <paramref name="output"/>, padding explicitly where TorchSharp cannot.</summary>
    private void Pool(OnnxNode node, PoolingLayer.Method method, string x, long[] xs, long[] kernel, Window win, string output)
    {
        bool ceil = node.Int("ceil_mode", 0) != 0;
        bool includePad = node.Int("count_include_pad", 0) != 0;
        string name = LayerName(node);
        var dilation = (win.Dilations[0], win.Dilations[1]);
        // TorchSharp pools pad at most half the window; larger (or unequal) pads take the explicit routes below.
        if (win.Symmetric && win.Begin.Zip(kernel).All(p => 2 * p.First <= p.Second))
        {
            Chain(new PoolingLayer(name, method, (kernel[0], kernel[1]), (win.Strides[0], win.Strides[1]), (win.Begin[0], win.Begin[1]), ceil, countIncludePad: includePad, dilation: dilation), x, output);
            return;
        }
        if (method == PoolingLayer.Method.Max || includePad)
        {
            // Padding that the window reads as −∞ (max) or as counted zeros (average) is an explicit pad.
            long[] pads = [0, 0, .. win.Begin, 0, 0, .. win.End];
            x = Chain(new PadLayer(LayerName(node, "pad"), pads, method == PoolingLayer.Method.Max ? double.NegativeInfinity : 0), x, $"{output}/pad");
            Chain(new PoolingLayer(name, method, (kernel[0], kernel[1]), (win.Strides[0], win.Strides[1]), (0, 0), ceil, countIncludePad: includePad, dilation: dilation), x, output);
            return;
        }
        // Average without counting padding: pool with the larger pad on both sides, then drop the windows
        // that start in the extra padding (possible when the stride divides the difference).
        Require(!ceil, "average pooling with unequal pads, ceil_mode and count_include_pad 0 is not supported");
        if (Enumerable.Range(0, 2).Any(i => (Math.Max(win.Begin[i], win.End[i]) - win.Begin[i]) % win.Strides[i] != 0 || 2 * Math.Max(win.Begin[i], win.End[i]) > kernel[i]))
        {
            PoolOverWidePads(node, x, xs, kernel, win, output);
            return;
        }
        var pad = new long[2];
        var start = new long[2];
        var length = new long[2];
        for (int i = 0; i < 2; i++)
        {
            pad[i] = Math.Max(win.Begin[i], win.End[i]);
            start[i] = (pad[i] - win.Begin[i]) / win.Strides[i];
            length[i] = (xs[i + 2] + win.Begin[i] + win.End[i] - kernel[i]) / win.Strides[i] + 1;
        }
        x = Chain(new PoolingLayer(name, method, (kernel[0], kernel[1]), (win.Strides[0], win.Strides[1]), (pad[0], pad[1]), false, countIncludePad: false), x, $"{output}/pool");
        Chain(new SliceLayer(LayerName(node, "crop"), [0, 0, start[0], start[1]], [-1, -1, length[0], length[1]]), x, output);
    }

    /// <summary>
    /// An average that does not count padding wider than TorchSharp pads: the window sum over explicit zero padding
    /// (an average counting the pads, times the window), rescaled per output position by window / valid count.
    /// </summary>
    private void PoolOverWidePads(OnnxNode node, string x, long[] xs, long[] kernel, Window win, string output)
    {
        long[] pads = [0, 0, .. win.Begin, 0, 0, .. win.End];
        x = Chain(new PadLayer(LayerName(node, "pad"), pads, 0), x, $"{output}/pad");
        x = Chain(new PoolingLayer(LayerName(node), PoolingLayer.Method.Average, (kernel[0], kernel[1]), (win.Strides[0], win.Strides[1]), (0, 0), false, countIncludePad: true), x, $"{output}/counted");
        var size = _shapes[x];
        long[] Valid(int axis) => Enumerable.Range(0, (int)size[axis + 2]).Select(o =>
        {
            long start = o * win.Strides[axis] - win.Begin[axis];
            return Math.Min(start + kernel[axis], xs[axis + 2]) - Math.Max(start, 0);
        }).ToArray();
        long[] rows = Valid(0), columns = Valid(1);
        Require(rows.All(c => c > 0) && columns.All(c => c > 0), $"average pooling with pads [{string.Join(", ", win.Begin.Concat(win.End))}] has windows that lie wholly in the padding");
        var factor = rows.SelectMany(r => columns.Select(c => (float)((double)(kernel[0] * kernel[1]) / (r * c)))).ToArray();
        using var scope = NewDisposeScope();
        Chain(new BroadcastLayer(LayerName(node, "count"), BroadcastLayer.Operation.Multiply, Param(tensor(factor).reshape(1, 1, rows.Length, columns.Length))), x, output);
    }

    private void ConvertGlobalPool(OnnxNode node, PoolingLayer.Method method)
    {
        var (x, xs) = Runtime(node.Input(0));
        Require(xs.Length == 4, $"only 2-D global pooling is supported (input [{string.Join("×", xs)}])");
        Chain(new PoolingLayer(LayerName(node), method, (1, 1), (1, 1), (0, 0), global: true), x, node.Output());
    }
}
