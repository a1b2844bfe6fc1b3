using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// Parametric ReLU: x for x ≥ 0, slope·x otherwise, with a learned <see cref="Slope"/> that broadcasts
/// against the input as NumPy does (ONNX PRelu; Caffe's per-channel PReLU has slope shape [C, 1, 1]).
/// </summary>
[CaffeLayer("PReLU")]
public sealed class PReLULayer : Layer
{
    /// <summary>Creates the layer with <paramref name="slope"/>, which must broadcast to the input.</summary>
    public PReLULayer(string name, Parameter slope) : base(name) => register_parameter("slope", slope);

    /// <inheritdoc />
    public override string Type => "PReLU";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new PReLULayer(LayerName, CopyParameter(Slope));

    /// <inheritdoc/>
    public override void WriteOnnx(IOnnxWriter onnx, string[] x, string y)
    {
        onnx.Node("PRelu", LayerName, [x[0], onnx.Initializer($"{LayerName}.slope", Slope)], y);
    }

    /// <summary>Builds the layer from Caffe's <paramref name="p"/>.</summary>
    internal static Layer FromCaffe(LayerParameter p, CaffeLayerInputs inputs)
    {
        long channels = p.PreluParam is { ChannelShared: true } ? 1 : inputs.InputChannels(p);
        var slope = inputs.Blobs.Count == 0
            ? ParameterInit.Constant([channels], 0.25f)
            : ParameterInit.From(new TensorBlob("slope", inputs.Blobs[0].Shape, inputs.Blobs[0].Data), [channels], p.Name, "slope blob");
        return new PReLULayer(p.Name, slope);
    }

    /// <summary>The negative slope(s).</summary>
    public Parameter Slope => get_parameter("slope")!;

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs)
    {
        var x = inputs[0];
        var s = Slope.shape;
        if (s.Length > x.Length)
            throw new RistrettoException($"slope [{string.Join("×", s)}] has a higher rank than the input [{string.Join("×", x)}]");
        for (int i = 1; i <= s.Length; i++)
            if (s[^i] != 1 && s[^i] != x[^i])
                throw new RistrettoException($"slope [{string.Join("×", s)}] does not broadcast to the input [{string.Join("×", x)}]");
        return [x];
    }

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var x = inputs[0];
        var y = x.relu().Plus(x.AtMost(0).mul(Slope));
        return [y.MoveToOuterDisposeScope()];
    }
}
