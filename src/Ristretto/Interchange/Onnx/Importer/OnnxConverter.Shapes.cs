using Ristretto.Layers;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>Softmax, Dropout, Concat, Split and the operators that move data around: Flatten, Reshape, Transpose, (Un)Squeeze, Pad, DepthToSpace.</summary>
internal sealed partial class OnnxConverter
{
    private void ConvertSoftmax(OnnxNode node, bool log)
    {
        var (x, xs) = Runtime(node.Input(0));
        int rank = xs.Length;
        int axis = Axis(node.Int("axis", Opset < 13 ? 1 : -1), rank);
        Graph.Layer Make(string name, long a) => log ? new LogSoftmaxLayer(name, a) : new SoftmaxLayer(name, a);
        if (Opset >= 13 || axis == rank - 1)
        {
            Chain(Make(LayerName(node), axis), x, node.Output());
            return;
        }
        // Before opset 13 the input is seen as 2-D [before axis, from axis on] and normalised over the second part.
        long inner = xs.Skip(axis).Aggregate(1L, (a, d) => a * d);
        long[] flat = axis == 0 ? [1, inner] : [-1, inner];
        long[] back = axis == 0 ? xs : [-1, .. xs.Skip(1)];
        x = Chain(new ReshapeLayer(LayerName(node, "to2d"), flat), x, $"{node.Output()}/to2d");
        x = Chain(Make(LayerName(node), 1), x, $"{node.Output()}/2d");
        Chain(new ReshapeLayer(LayerName(node, "back"), back), x, node.Output());
    }

    private void ConvertDropout(OnnxNode node)
    {
        var (x, _) = Runtime(node.Input(0));
        double ratio = Opset < 12 ? node.Float("ratio", 0.5f) : node.Input(1) is { } r ? ConstantScalar(node, r, "ratio") : 0.5;
        Chain(new DropoutLayer(LayerName(node), ratio), x, node.Output());
    }

    private void ConvertConcat(OnnxNode node)
    {
        var inputs = node.Proto.Input.Where(n => n.Length > 0).Select(n => Runtime(n)).ToList();
        int axis = Axis(node.Int("axis", 1), inputs[0].Shape.Length);
        AddLayer(new ConcatLayer(LayerName(node), axis), inputs.Select(i => i.Blob).ToArray(), [node.Output()]);
    }

    /// <summary>One slice per output along axis: sizes from the split attribute (before opset 13) or input,
    /// else equal parts (from opset 18 the last may be smaller, as num_outputs allows).</summary>
    private void ConvertSplit(OnnxNode node)
    {
        var (x, xs) = Runtime(node.Input(0));
        int axis = Axis(node.Int("axis", 0), xs.Length);
        int count = node.Proto.Output.Count;
        long[]? sizes = Opset < 13 ? node.Ints("split") ?? (Opset < 2 && node.Input(1) is { } s1 ? ConstantInts(node, s1, "split") : null)
            : node.Input(1) is { } s ? ConstantInts(node, s, "split") : null;
        if (sizes is null)
        {
            long chunk = Opset >= 18 ? (xs[axis] + count - 1) / count : xs[axis] / count;
            Require(Opset >= 18 || xs[axis] % count == 0, $"axis {axis} of size {xs[axis]} does not split into {count} equal parts");
            sizes = Enumerable.Range(0, count).Select(i => Math.Clamp(xs[axis] - i * chunk, 0, chunk)).ToArray();
        }
        Require(sizes.Length == count && sizes.All(d => d >= 1) && sizes.Sum() == xs[axis],
            $"split [{string.Join(", ", sizes)}] does not cut axis {axis} of size {xs[axis]} into {count} non-empty parts");
        long start = 0;
        for (int i = 0; i < count; i++)
        {
            var starts = new long[xs.Length];
            var lengths = Enumerable.Repeat(-1L, xs.Length).ToArray();
            (starts[axis], lengths[axis]) = (start, sizes[i]);
            start += sizes[i];
            if (node.Output(i).Length > 0)
                Chain(new SliceLayer(LayerName(node, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), starts, lengths), x, node.Output(i));
        }
    }

    private void ConvertFlatten(OnnxNode node)
    {
        var (x, xs) = Runtime(node.Input(0));
        int axis = Axis(node.Int("axis", 1), xs.Length + 1);
        if (axis == 1)
        {
            Chain(new FlattenLayer(LayerName(node), 1), x, node.Output());
            return;
        }
        long inner = xs.Skip(axis).Aggregate(1L, (a, d) => a * d);
        Chain(new ReshapeLayer(LayerName(node), axis == 0 ? [1, -1] : [-1, inner]), x, node.Output());
    }

    private void ConvertReshape(OnnxNode node)
    {
        var (x, xs) = Runtime(node.Input(0));
        var target = Opset < 5 ? node.Ints("shape") ?? throw new RistrettoException("shape is missing") : ConstantInts(node, node.Input(1), "shape");
        bool allowZero = node.Int("allowzero", 0) != 0;
        if (allowZero && target.Contains(0))
            target = ReshapeTarget(xs, target, allowZero: true);
        // Exporters often write the batch of the traced input ([1, 9216]); copying axis 0 instead gives the
        // same result at that batch and lets the network run other batch sizes.
        if (target.Length > 0 && xs.Length > 0 && target[0] == xs[0] && target.Skip(1).All(d => d > 0)
            && target.Skip(1).Aggregate(1L, (p, d) => p * d) == xs.Skip(1).Aggregate(1L, (p, d) => p * d))
            target = [0, .. target.Skip(1)];
        Chain(new ReshapeLayer(LayerName(node), target), x, node.Output());
    }

    private void ConvertTranspose(OnnxNode node)
    {
        var (x, xs) = Runtime(node.Input(0));
        var perm = node.Ints("perm") ?? Enumerable.Range(0, xs.Length).Reverse().Select(i => (long)i).ToArray();
        Chain(new TransposeLayer(LayerName(node), perm), x, node.Output());
    }

    private void ConvertSqueeze(OnnxNode node)
    {
        var (x, xs) = Runtime(node.Input(0));
        long[]? axes = Opset < 13 ? node.Ints("axes") : node.Input(1) is { } a ? ConstantInts(node, a, "axes") : null;
        var shape = node.Op == "Squeeze" ? SqueezeShape(xs, axes) : UnsqueezeShape(xs, axes ?? throw new RistrettoException("axes are missing"));
        // Keep the batch free when it stays the first axis.
        if (shape.Length > 0 && xs.Length > 0 && shape[0] == xs[0] && !(axes ?? []).Any(ax => Axis(ax, Math.Max(xs.Length, shape.Length)) == 0))
            shape[0] = 0;
        Chain(new ReshapeLayer(LayerName(node), shape), x, node.Output());
    }

    private void ConvertPad(OnnxNode node)
    {
        var (x, xs) = Runtime(node.Input(0));
        string mode = node.String("mode", "constant");
        Require(mode == "constant", $"pad mode '{mode}' is not supported (only constant)");
        long[] pads;
        double value;
        if (Opset < 11)
        {
            pads = node.Ints(Opset < 2 ? "paddings" : "pads") ?? throw new RistrettoException("pads are missing");
            value = node.Float("value", 0);
        }
        else
        {
            pads = ConstantInts(node, node.Input(1), "pads");
            value = node.Input(2) is { } v ? ConstantScalar(node, v, "constant_value") : 0;
            if (node.Input(3) is { } axesName)
            {
                var axes = ConstantInts(node, axesName, "axes").Select(a => Axis(a, xs.Length)).ToArray();
                var full = new long[2 * xs.Length];
                for (int i = 0; i < axes.Length; i++)
                {
                    full[axes[i]] = pads[i];
                    full[axes[i] + xs.Length] = pads[i + axes.Length];
                }
                pads = full;
            }
        }
        Chain(new PadLayer(LayerName(node), pads, value), x, node.Output());
    }

    private void ConvertDepthToSpace(OnnxNode node)
    {
        var (x, xs) = Runtime(node.Input(0));
        long b = node.Int("blocksize", 0);
        Require(xs.Length == 4 && b >= 1 && xs[1] % (b * b) == 0, $"needs a 4-D input whose channels divide by blocksize² (input [{string.Join("×", xs)}], blocksize {b})");
        long c = xs[1] / (b * b);
        bool crd = node.String("mode", "DCR") == "CRD";
        // Channels split into (block row, block column, channel) for DCR or (channel, block row, block column) for CRD.
        long[] split = crd ? [0, c, b, b, xs[2], xs[3]] : [0, b, b, c, xs[2], xs[3]];
        long[] perm = crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
        x = Chain(new ReshapeLayer(LayerName(node, "split"), split), x, $"{node.Output()}/split");
        x = Chain(new TransposeLayer(LayerName(node, "interleave"), perm), x, $"{node.Output()}/interleave");
        Chain(new ReshapeLayer(LayerName(node), [0, c, xs[2] * b, xs[3] * b]), x, node.Output());
    }
}
