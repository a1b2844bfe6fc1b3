using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Exponential linear unit scaled by <see cref="Gamma"/>: γ·x for x &gt; 0, γ·α·(eˣ − 1) otherwise. With γ = 1 it
/// is Caffe's ELU / ONNX Elu; ONNX Selu uses its fixed α ≈ 1.6733 and γ ≈ 1.0507.
/// </summary>
[CaffeLayer("ELU")]
public sealed class EluLayer(string name, double alpha = 1, double gamma = 1) : Layer(name), ISmoothActivation
{
    /// <inheritdoc />
    public double Value(double x) => Gamma * (x > 0 ? x : Alpha * (Math.Exp(x) - 1));

    /// <summary>[−8, 0]: above 0 the function is linear (slope γ), below −8 within 3.4·10⁻⁴·αγ of −αγ.</summary>
    public (double Lo, double Hi) DefaultRange => (-8, 0);

    /// <inheritdoc />
    public (double Below, double Above) SlopesOutside => (0, Gamma);

    /// <inheritdoc />
    public override string Type => Gamma == 1 ? "ELU" : "SELU";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new EluLayer(LayerName, Alpha, Gamma);

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        if (Gamma == 1)
            onnx.Node("Elu", LayerName, x, y, ("alpha", Alpha));
        else
            onnx.Node("Selu", LayerName, x, y, ("alpha", Alpha), ("gamma", Gamma));
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        return new EluLayer(p.Name, p.EluParam?.Alpha ?? 1);
    }

    /// <summary>Scale of the negative branch α.</summary>
    public double Alpha { get; } = alpha;

    /// <summary>Overall scale γ (1 for ELU).</summary>
    public double Gamma { get; } = gamma;

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

    /// <inheritdoc />
    public override string Describe() => Gamma == 1 ? $"α {Alpha}" : $"α {Alpha}, γ {Gamma}";

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using Scalar alpha = Alpha.ToScalar(), gamma = Gamma.ToScalar(), inputScale = 1.0.ToScalar();
        return [inputs[0].elu(alpha, gamma, inputScale)];
    }
}
