using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// A smooth activation (<see cref="ISmoothActivation"/>: tanh, sigmoid, ELU) computed by the piecewise-linear unit or lookup
/// table of its plan entry (<see cref="LayerQuantization.Approximation"/>), bit for bit as the approximation's scalar
/// reference (<see cref="ActivationApproximation.Apply"/>). The table is built once, from the layer's own function. In
/// training the gradient is the exact function's (straight through the approximation), so fine-tuning sees the table's
/// values and the smooth slope. Borrows the wrapped layer.
/// </summary>
public sealed class ApproximateActivationLayer : Layer, IQuantizedLayer
{
    private readonly Layer _inner;
    private readonly ISmoothActivation _function;
    private readonly ActivationApproximation _approximation;
    private readonly Tensor _table;

    /// <summary>Wraps <paramref name="layer"/> with <paramref name="spec"/>, which must hold an approximation and no formats.</summary>
    public ApproximateActivationLayer(Layer layer, LayerQuantization spec) : base(layer?.LayerName ?? throw new ArgumentNullException(nameof(layer)))
    {
        ArgumentNullException.ThrowIfNull(spec);
        _inner = layer;
        _function = layer as ISmoothActivation
            ?? throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) is not a smooth activation: only tanh, sigmoid and ELU layers take an approximation");
        _approximation = spec.Approximation
            ?? throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}): an activation's plan entry needs an \"approximation\"");
        if (spec.Weights is not null || spec.Bias is not null || spec.Input is not null || spec.Output is not null)
            throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}): an activation's plan entry takes only an \"approximation\", not formats");
        Spec = spec;
        float[] table = _approximation.Table(_function.Value);
        Table = table;
        _table = tensor(table, ScalarType.Float32).DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public Layer Inner => _inner;

    /// <inheritdoc />
    public LayerQuantization Spec { get; }

    /// <summary>The stored values (knots or entries), as the approximation's entry format holds them.</summary>
    public IReadOnlyList<float> Table { get; }

    /// <inheritdoc />
    public override string Type => _inner.Type;

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => _inner.OutputShapes(inputs);

    /// <inheritdoc />
    internal override bool OutputIsFresh => true;

    /// <inheritdoc />
    public override string Describe() => _approximation.Describe();

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var x = inputs[0];
        Tensor y;
        using (no_grad())
            y = Approximate(x.detach());
        if (x.requires_grad && is_grad_enabled())
            y = StraightThrough.AddZeroWithGradient(y, _inner.forward([x])[0]);
        return [y.MoveToOuterDisposeScope()];
    }

    private Tensor Approximate(Tensor x)
    {
        var a = _approximation;
        var table = _table.device == x.device ? _table : _table.to(x.device);
        var clamped = x.ClampTo(a.Lo, a.Hi);
        var t = clamped.Minus(a.Lo).Over(a.Step).nan_to_num(0, 0, 0);
        Tensor y;
        if (a is PiecewiseLinearActivation)
        {
            var i = t.floor().AtMost(a.Count - 1);
            var f = t.sub(i);
            var index = i.to(ScalarType.Int64);
            var low = table.take(index);
            var rise = table.take(index.Plus(1L)).sub(low);
            y = low.Plus(f.mul(rise));
        }
        else
        {
            y = table.take(t.round().ClampTo(0L, a.Count - 1L).to(ScalarType.Int64));
        }
        var (below, above) = _function.SlopesOutside;
        if (below != 0)
            y = y.Plus(x.Minus(a.Lo).AtMost(0.0).Times((double)(float)below));
        if (above != 0)
            y = y.Plus(x.Minus(a.Hi).AtLeast(0.0).Times((double)(float)above));
        return where(x.isnan(), x, y);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _table.Dispose();
        base.Dispose(disposing);
    }
}
