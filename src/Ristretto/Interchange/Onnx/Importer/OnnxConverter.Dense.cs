using Ristretto.Engine;
using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Onnx.Importer;

/// <summary>Gemm, MatMul with a constant right operand, and BatchNormalization.</summary>
internal sealed partial class OnnxConverter
{
    private void ConvertGemm(OnnxNode node)
    {
        var (a, shape) = Runtime(node.Input(0), "input A");
        Require(shape.Length == 2, $"input A must have rank 2, it has shape [{string.Join("×", shape)}]");
        var b = Constant(node, node.Input(1), "B");
        Require(b.dim() == 2, $"B must have rank 2, it has shape [{string.Join("×", b.shape)}]");
        float alpha = node.Float("alpha", 1f), beta = node.Float("beta", 1f);
        if (node.Int("transA", 0) != 0)
            a = Chain(new TransposeLayer(LayerName(node, "transA"), [1, 0]), a, $"{node.Output()}/transA");
        using var scope = NewDisposeScope();
        var weight = node.Int("transB", 0) != 0 ? b : b.t();
        if (alpha != 1)
            weight = weight.Times(alpha);
        Tensor? bias = null;
        if (node.Input(2) is { } cn)
        {
            var c = Constant(node, cn, "C");
            long outputs = weight.shape[0];
            Require(c.numel() == outputs || c.numel() == 1, $"C [{string.Join("×", c.shape)}] must broadcast to one value per output ({outputs})");
            bias = c.to(ScalarType.Float32).reshape(-1).expand(outputs).Times(beta);
        }
        Chain(new InnerProductLayer(LayerName(node), Param(weight), bias is null ? null : Param(bias)), a, node.Output());
    }

    private void ConvertMatMul(OnnxNode node)
    {
        var (a, shape) = Runtime(node.Input(0), "left operand");
        var b = Constant(node, node.Input(1), "right operand");
        if (b.dim() > 2)
        {
            BatchedMatMul(node, a, shape, b);
            return;
        }
        Require(b.dim() == 2 && shape.Length >= 2 && shape[^1] == b.shape[0],
            $"needs a constant right operand of rank 2 matching the left operand [{string.Join("×", shape)}], got [{string.Join("×", b.shape)}]");
        using var scope = NewDisposeScope();
        var layer = new InnerProductLayer(LayerName(node), Param(b.t()), null);
        if (shape.Length == 2)
        {
            Chain(layer, a, node.Output());
            return;
        }
        // [.., K] runs as rows of a 2-D product, then takes back its leading axes.
        a = Chain(new ReshapeLayer(LayerName(node, "rows"), [-1, b.shape[0]]), a, $"{node.Output()}/rows");
        a = Chain(layer, a, $"{node.Output()}/product");
        Chain(new ReshapeLayer(LayerName(node, "unrows"), [-1, .. shape.Skip(1).SkipLast(1), b.shape[1]]), a, node.Output());
    }

    /// <summary>
    /// A product with a constant stack of G matrices [.., K, N] (one per index of the leading axes, which the left operand
    /// [.., M, K] must share): the rows of all G left matrices side by side, [M, G·K], times one block-diagonal weight
    /// [G·K, G·N], then the blocks taken back apart.
    /// </summary>
    private void BatchedMatMul(OnnxNode node, string a, long[] shape, Tensor b)
    {
        long[] stack = b.shape[..^2];
        long k = b.shape[^2], n = b.shape[^1], g = stack.Aggregate(1L, (p, d) => p * d);
        Require(shape.Length == b.dim() && shape[..^2].SequenceEqual(stack) && shape[^1] == k,
            $"a constant right operand [{string.Join("×", b.shape)}] needs a left operand [{string.Join("×", stack)}×M×{k}], got [{string.Join("×", shape)}]");
        long m = shape[^2];
        a = Chain(new ReshapeLayer(LayerName(node, "stack"), [g, m, k]), a, $"{node.Output()}/stack");
        a = Chain(new TransposeLayer(LayerName(node, "side"), [1, 0, 2]), a, $"{node.Output()}/side");
        a = Chain(new ReshapeLayer(LayerName(node, "rows"), [m, g * k]), a, $"{node.Output()}/rows");
        using (var scope = NewDisposeScope())
        {
            var blocks = b.to(ScalarType.Float32).reshape(g, k, n);
            var weight = zeros(g * n, g * k);
            for (long i = 0; i < g; i++)
                weight[TensorIndex.Slice(i * n, (i + 1) * n), TensorIndex.Slice(i * k, (i + 1) * k)] = blocks[i].t();
            a = Chain(new InnerProductLayer(LayerName(node), Param(weight), null), a, $"{node.Output()}/product");
        }
        a = Chain(new ReshapeLayer(LayerName(node, "blocks"), [m, g, n]), a, $"{node.Output()}/blocks");
        a = Chain(new TransposeLayer(LayerName(node, "apart"), [1, 0, 2]), a, $"{node.Output()}/apart");
        Chain(new ReshapeLayer(LayerName(node, "unstack"), [.. stack, m, n]), a, node.Output());
    }

    private void ConvertBatchNorm(OnnxNode node)
    {
        var (x, _) = Runtime(node.Input(0));
        Require(node.Int("training_mode", 0) == 0, "training_mode 1 is not supported (import the inference graph)");
        Require(node.Int("spatial", 1) != 0, "spatial 0 (per-element statistics) is not supported");
        var scale = Constant(node, node.Input(1), "scale");
        var bias = Constant(node, node.Input(2), "bias");
        var mean = Constant(node, node.Input(3), "mean");
        var variance = Constant(node, node.Input(4), "variance");
        using var scope = NewDisposeScope();
        var layer = new BatchNormLayer(LayerName(node), mean.to(ScalarType.Float32), variance.to(ScalarType.Float32), Param(scale), Param(bias), node.Float("epsilon", 1e-5f));
        Chain(layer, x, node.Output());
    }
}
