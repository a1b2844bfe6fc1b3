using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Finetuning;

/// <summary>
/// A weighted layer as fine-tuning runs it: the float layer's parameters are the shadow weights; every
/// forward pass trims weights, bias, input and output to the plan's formats — stochastically in training
/// passes (with straight-through gradients into the shadow weights), at test exactly as <see cref="QuantizedLayer"/>
/// does (weights and bias to nearest, input and output with the plan's rounding) —
/// then applies the float op. Borrows the wrapped layer; owns nothing.
/// </summary>
public sealed class TrainingQuantizedLayer : Layer
{
    private readonly Layer _inner;
    private readonly IWeightedLayer _weighted;
    private readonly FinetuneClock _clock;
    private readonly int _index;

    /// <summary>Wraps <paramref name="layer"/> with <paramref name="spec"/>; <paramref name="index"/> keeps its random draws apart from other layers'.</summary>
    public TrainingQuantizedLayer(Layer layer, LayerQuantization spec, FinetuneClock clock, int index)
        : base(layer?.LayerName ?? throw new ArgumentNullException(nameof(layer)))
    {
        _inner = layer;
        _weighted = layer as IWeightedLayer
            ?? throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) has no weights to fine-tune");
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _index = index;
    }

    /// <summary>The formats applied.</summary>
    public LayerQuantization Spec { get; }

    /// <inheritdoc />
    public override string Type => _inner.Type + "Ristretto";

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => _inner.OutputShapes(inputs);

    /// <inheritdoc />
    public override long Macs(long[][] inputs) => _inner.Macs(inputs);

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var x = Trim(Spec.Input, inputs[0], 0, Spec.Rounding);
        // At test, weights and bias are trimmed to nearest, as QuantizedLayer trims them once per plan.
        var w = Trim(Spec.Weights, _weighted.Weight, 1, Rounding.Nearest);
        var b = _weighted.Bias is { } bias ? Trim(Spec.Bias, bias, 2, Rounding.Nearest) : null;
        var y = Trim(Spec.Output, _weighted.Apply(x, w, b), 3, Spec.Rounding);
        return [y.MoveToOuterDisposeScope()];
    }

    private Tensor Trim(NumberFormat? format, Tensor x, int tensor, Rounding testRounding)
    {
        if (format is null)
            return x;
        return _clock.Training
            ? StraightThrough.Trim(format, x, _clock.TrainingRounding, _clock.SeedFor(_index, tensor))
            : format.Trim(x, testRounding);
    }
}
