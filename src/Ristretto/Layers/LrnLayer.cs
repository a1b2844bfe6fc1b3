using Ristretto.Engine;
using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Local response normalisation as Caffe defines it. Across channels: x / (k + α/n · Σ x²)^β over n
/// neighbouring channels. Within channel: x · (1 + α · mean(x²))^−β over an n×n spatial window
/// (zero-padded, the mean dividing by n²), computed as Caffe's layer does it (square, average pooling,
/// power −β, product), which is also how the ONNX export writes it.
/// </summary>
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
