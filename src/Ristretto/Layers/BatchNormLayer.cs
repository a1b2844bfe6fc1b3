using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Inference batch normalisation over axis 1: (x − mean) / √(var + ε) · scale + bias, with frozen statistics.
/// Kept as its own layer so that a later pass can fold it into the preceding convolution.
/// </summary>
[CaffeLayer("BatchNorm")]
public sealed class BatchNormLayer : Layer
{
    /// <summary>Creates the layer from per-channel statistics and optional affine <paramref name="scale"/> and <paramref name="bias"/> (all [C]).</summary>
    public BatchNormLayer(string name, Tensor mean, Tensor variance, Parameter? scale, Parameter? bias, double epsilon = 1e-5) : base(name)
    {
        long c = mean.numel();
        foreach (var (t, what) in new[] { (mean, "mean"), (variance, "variance"), (scale, "scale"), (bias, "bias") })
            if (t is not null && (t.dim() != 1 || t.shape[0] != c))
                throw new RistrettoException($"layer '{name}': batch-norm {what} has shape [{string.Join("×", t.shape)}], expected [{c}]");
        if (epsilon < 0)
            throw new RistrettoException($"layer '{name}': batch-norm epsilon must not be negative, got {epsilon}");
        Epsilon = epsilon;
        register_buffer("mean", mean.detach().clone().DetachFromDisposeScope());
        register_buffer("variance", variance.detach().clone().DetachFromDisposeScope());
        if (scale is not null)
            register_parameter("scale", scale);
        if (bias is not null)
            register_parameter("bias", bias);
    }

    /// <inheritdoc />
    public override string Type => "BatchNorm";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new BatchNormLayer(LayerName, Mean, Variance, CopyParameterOrNull(Scale), CopyParameterOrNull(Bias), Epsilon);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        long channels = Mean.shape[0];
        using var scope = NewDisposeScope();
        string scale = onnx.Initializer($"{LayerName}.scale", Scale is { } s ? s : ones(channels));
        string bias = onnx.Initializer($"{LayerName}.bias", Bias is { } t ? t : zeros(channels));
        onnx.Node("BatchNormalization", LayerName,
            [x[0], scale, bias, onnx.Initializer($"{LayerName}.mean", Mean), onnx.Initializer($"{LayerName}.variance", Variance)], y,
            ("epsilon", Epsilon));
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        long channels = inputs.InputChannels(p);
        var eps = p.BatchNormParam is { HasEps: true } bn ? bn.Eps : 1e-5;
        using var scope = TorchSharp.torch.NewDisposeScope();
        if (inputs.Blobs.Count == 0)
            return new BatchNormLayer(p.Name, TorchSharp.torch.zeros(channels), TorchSharp.torch.ones(channels), null, null, eps);
        if (inputs.Blobs.Count != 3 || inputs.Blobs[0].Data.Length != channels || inputs.Blobs[1].Data.Length != channels || inputs.Blobs[2].Data.Length != 1)
            throw new RistrettoException($"BatchNorm needs blobs mean [{channels}], variance [{channels}] and a scale factor [1]; got {inputs.Blobs.Count} blob(s)");
        // Caffe stores running sums; the statistics are the sums divided by the scale factor.
        float factor = inputs.Blobs[2].Data[0] == 0 ? 0 : 1 / inputs.Blobs[2].Data[0];
        var mean = TorchSharp.torch.tensor(inputs.Blobs[0].Data.Select(v => v * factor).ToArray());
        var variance = TorchSharp.torch.tensor(inputs.Blobs[1].Data.Select(v => v * factor).ToArray());
        return new BatchNormLayer(p.Name, mean, variance, null, null, eps);
    }

    /// <summary>ε added to the variance.</summary>
    public double Epsilon { get; }

    /// <summary>Running mean [C].</summary>
    public Tensor Mean => get_buffer("mean")!;

    /// <summary>Running variance [C].</summary>
    public Tensor Variance => get_buffer("variance")!;

    /// <summary>Scale γ [C], or null (1).</summary>
    public Parameter? Scale => get_parameter("scale");

    /// <summary>Bias β [C], or null (0).</summary>
    public Parameter? Bias => get_parameter("bias");

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        if (x.Length < 2 || x[1] != Mean.shape[0])
            throw new RistrettoException($"input [{string.Join("×", x)}] does not have {Mean.shape[0]} channels on axis 1");
        return [x];
    }

    /// <inheritdoc />
    public override string Describe() => $"{Mean.shape[0]} channels, ε {Epsilon}";

    /// <inheritdoc />
    internal override bool OutputIsFresh => true;

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) =>
        [nn.functional.batch_norm(inputs[0], Mean, Variance, Scale, Bias, false, 0.1, Epsilon)];
}
