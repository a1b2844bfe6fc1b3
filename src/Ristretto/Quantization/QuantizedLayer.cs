using Ristretto.Formats;
using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// A weighted layer run with simulated accelerator arithmetic, in one template: trim the input, apply the
/// float operation with trimmed weights and bias (trimmed once, when this object is made), trim the output.
/// By default it borrows the wrapped layer (a plan applied to a float network) and owns only its trimmed
/// copies; a network imported with quantization (a Ristretto prototxt) makes it own the layer instead.
/// </summary>
public sealed class QuantizedLayer : Layer, IQuantizedLayer
{
    private readonly Layer _inner;
    private readonly IWeightedLayer _weighted;
    private readonly Tensor _weight;
    private readonly Tensor? _bias;
    private Tensor? _exactWeight;
    private Tensor? _exactBias;

    /// <summary>Wraps <paramref name="layer"/> (a convolution or inner product) with <paramref name="spec"/>.</summary>
    /// <param name="layer">The float layer.</param>
    /// <param name="spec">The formats.</param>
    /// <param name="owns">Register the layer as this layer's child (its parameters become this layer's, and are freed with it).</param>
    public QuantizedLayer(Layer layer, LayerQuantization spec, bool owns = false) : base(layer?.LayerName ?? throw new ArgumentNullException(nameof(layer)))
    {
        _inner = layer;
        _weighted = layer as IWeightedLayer
            ?? throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) has no weights to quantize");
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Approximation is not null)
            throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}): an \"approximation\" belongs on an activation layer (tanh, sigmoid, ELU)");
        Spec = spec;
        if (owns)
            register_module("float", layer);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _weight = (spec.Weights is { } w ? w.Trim(_weighted.Weight) : _weighted.Weight.detach().clone()).DetachFromDisposeScope();
        if (_weighted.Bias is { } b)
            _bias = (spec.Bias is { } bf ? bf.Trim(b) : b.detach().clone()).DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public LayerQuantization Spec { get; }

    /// <summary>
    /// Set when the input is known to lie on <see cref="LayerQuantization.Input"/>'s grid already (an earlier
    /// layer's output in the same format); its trim, which would change no bit, is then skipped.
    /// </summary>
    internal bool InputOnGrid { get; init; }

    /// <summary>
    /// The exact mode (<see cref="QuantizedNetwork.Exact"/>): float64 arithmetic with every trimmed value held exactly and the
    /// integer grids' trims computed in float64 (<see cref="ExactTrim"/>), so that the accumulation and the rounding are
    /// those of real numbers; the output is float64, or float32 when <see cref="Float32Output"/>.
    /// </summary>
    internal bool Exact { get; init; }

    /// <summary>In the exact mode, whether the output goes back to float32 (the last quantized layer: the float layers after it run as in the simulation).</summary>
    internal bool Float32Output { get; init; }

    /// <inheritdoc />
    public Layer Inner => _inner;

    /// <inheritdoc />
    public override string Type => _inner.Type + "Ristretto";

    /// <inheritdoc />
    internal override bool CouplesImages => _inner.CouplesImages || Spec.Rounding == Rounding.Stochastic; // a draw per element index in the batch

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => _inner.OutputShapes(inputs);

    /// <inheritdoc />
    public override long Macs(long[][] inputs) => _inner.Macs(inputs);

    /// <inheritdoc />
    internal override bool OutputIsFresh => true;

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        if (Exact)
            return [ExactForward(inputs[0]).MoveToOuterDisposeScope()];
        var x = Spec.Input is { } fin && !InputOnGrid ? fin.Trim(inputs[0], Spec.Rounding) : inputs[0];
        var y = _weighted.Apply(x, _weight, _bias);
        if (Spec.Output is { } fout)
            y = y.requires_grad ? fout.Trim(y, Spec.Rounding) : fout.Trim_(y, Spec.Rounding); // y is this call's own tensor
        return [y.MoveToOuterDisposeScope()];
    }

    private Tensor ExactForward(Tensor input)
    {
        if (_exactWeight is null)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            _exactWeight = (Spec.Weights is { } w ? ExactTrim.Values(w, _weight) : _weight.detach().to(ScalarType.Float64)).DetachFromDisposeScope();
            _exactBias = _bias is null ? null : (Spec.Bias is { } b ? ExactTrim.Values(b, _bias) : _bias.detach().to(ScalarType.Float64)).DetachFromDisposeScope();
        }
        var x = input.to(ScalarType.Float64);
        if (Spec.Input is { } fin && !InputOnGrid)
            x = ExactTrim.Trim(fin, x, Spec.Rounding);
        var y = _weighted.Apply(x, _exactWeight, _exactBias);
        if (Spec.Output is { } fout)
            y = ExactTrim.Trim(fout, y, Spec.Rounding);
        return Float32Output ? y.to(ScalarType.Float32) : y;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _weight.Dispose();
            _bias?.Dispose();
            _exactWeight?.Dispose();
            _exactBias?.Dispose();
        }
        base.Dispose(disposing);
    }
}
