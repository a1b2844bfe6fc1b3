using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Local response normalisation as Caffe defines it. Across channels: x / (k + α/n · Σ x²)^β over n
/// neighbouring channels. Within channel: x · (1 + α · mean(x²))^−β over an n×n spatial window
/// (zero-padded, the mean dividing by n²), computed as Caffe's layer does it (square, average pooling,
/// power −β, product), which is also how the ONNX export writes it.
/// </summary>
[CaffeLayer("LRN", "LRNRistretto")]
public sealed class LrnLayer : Layer
{
    /// <summary>Creates the layer; <paramref name="size"/> must be odd.</summary>
    public LrnLayer(string name, int size = 5, double alpha = 1, double beta = 0.75, double k = 1, bool withinChannel = false) : base(name)
    {
        if (size < 1 || size % 2 == 0)
            throw new RistrettoException($"layer '{name}': LRN local_size must be odd and positive, got {size}");
        Size = size;
        Alpha = alpha;
        Beta = beta;
        K = k;
        WithinChannel = withinChannel;
    }

    /// <inheritdoc />
    public override string Type => "LRN";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new LrnLayer(LayerName, Size, Alpha, Beta, K, WithinChannel);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        if (!WithinChannel)
        {
            onnx.Node("LRN", LayerName, x, y, ("size", (long)Size), ("alpha", Alpha), ("beta", Beta), ("bias", K));
            return;
        }
        // Caffe's own within-channel LRN: x · (1 + α · mean over the n×n window of x²)^−β.
        long pad = (Size - 1) / 2;
        var square = onnx.Helper("Mul", LayerName, "square", [x[0], x[0]], y);
        var mean = onnx.Helper("AveragePool", LayerName, "mean", [square], y, ("kernel_shape", new long[] { Size, Size }),
            ("pads", new[] { pad, pad, pad, pad }), ("count_include_pad", 1L));
        var power = onnx.Helper("Pow", LayerName, "power", [onnx.Affine(LayerName, mean, y, Alpha, 1), onnx.Scalar($"{LayerName}.power", -Beta)], y);
        onnx.Node("Mul", LayerName, [x[0], power], y);
    }

    /// <inheritdoc/>
    internal override void WriteCaffe(LayerParameter p)
    {
        p.LrnParam = new LRNParameter
        {
            LocalSize = (uint)Size, Alpha = (float)Alpha, Beta = (float)Beta, K = (float)K,
            NormRegion = WithinChannel ? LRNParameter.Types.NormRegion.WithinChannel : LRNParameter.Types.NormRegion.AcrossChannels,
        };
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        var c = p.LrnParam ?? new LRNParameter();
        return new LrnLayer(p.Name, (int)c.LocalSize, c.Alpha, c.Beta, c.K, c.NormRegion == LRNParameter.Types.NormRegion.WithinChannel);
    }

    /// <summary>Window size n.</summary>
    public int Size { get; }
    /// <summary>Scale α.</summary>
    public double Alpha { get; }
    /// <summary>Exponent β.</summary>
    public double Beta { get; }
    /// <summary>Offset k (across channels).</summary>
    public double K { get; }
    /// <summary>Normalise over a spatial window instead of across channels.</summary>
    public bool WithinChannel { get; }

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        RequireRank(inputs[0], 4);
        return [inputs[0]];
    }

    /// <inheritdoc />
    public override string Describe() => $"{(WithinChannel ? "within" : "across")} {Size}, α {Alpha}, β {Beta}";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        var x = inputs[0];
        if (!WithinChannel)
            return [nn.functional.local_response_norm(x, Size, Alpha, Beta, K)];
        using var scope = NewDisposeScope();
        long pad = (Size - 1) / 2;
        var mean = nn.functional.avg_pool2d(x.mul(x), [Size, Size], [1, 1], [pad, pad], ceil_mode: false, count_include_pad: true);
        var y = x.mul(mean.Times(Alpha).Plus(1.0).ToPower(-Beta));
        return [y.MoveToOuterDisposeScope()];
    }
}
