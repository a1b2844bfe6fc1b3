using Ristretto.Graph;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Inference batch normalisation over axis 1: (x − mean) / √(var + ε) · scale + bias, with frozen statistics.
/// Kept as its own layer so that a later pass can fold it into the preceding convolution.
/// </summary>
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
