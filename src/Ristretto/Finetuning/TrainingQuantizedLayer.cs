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
/// then applies the float op. Under LSQ/LSQ+ (<see cref="LayerQuantization.Learning"/>) the integer tensors are
/// quantized with the <see cref="LearnedSteps"/> in training and with their current formats at test.
/// Borrows the wrapped layer and the steps.
/// </summary>
public sealed class TrainingQuantizedLayer : Layer
{
    private readonly Layer _inner;
    private readonly IWeightedLayer _weighted;
    private readonly FinetuneClock _clock;
    private readonly int _index;
    private readonly LearnedSteps? _steps;
    private LayerQuantization? _testSpec;

    /// <summary>
    /// Wraps <paramref name="layer"/> with <paramref name="spec"/>; <paramref name="index"/> keeps its random draws
    /// apart from other layers'; <paramref name="steps"/> are the layer's learned steps, if the plan learns them.
    /// </summary>
    public TrainingQuantizedLayer(Layer layer, LayerQuantization spec, FinetuneClock clock, int index, LearnedSteps? steps = null)
        : base(layer?.LayerName ?? throw new ArgumentNullException(nameof(layer)))
    {
        _inner = layer;
        _weighted = layer as IWeightedLayer
            ?? throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) has no weights to fine-tune");
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _index = index;
        _steps = steps;
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
        // The formats in force: the plan's, or the learned steps as they stand (fixed for a test, moving in training,
        // where only the bias needs a format: the learned tensors go through the steps themselves).
        LayerQuantization spec;
        if (_steps is null)
            spec = Spec;
        else if (_clock.Training)
            (spec, _testSpec) = (_steps.ForTraining(), null);
        else
            spec = _testSpec ??= _steps.Current();
        var x = Trim(spec.Input, inputs[0], 0, spec.Rounding);
        // At test, weights and bias are trimmed to nearest, as QuantizedLayer trims them once per plan.
        var w = Trim(spec.Weights, _weighted.Weight, 1, Rounding.Nearest);
        var b = _weighted.Bias is { } bias ? Trim(spec.Bias, bias, 2, Rounding.Nearest) : null;
        var y = Trim(spec.Output, _weighted.Apply(x, w, b), 3, spec.Rounding);
        return [y.MoveToOuterDisposeScope()];
    }

    private Tensor Trim(NumberFormat? format, Tensor x, int tensor, Rounding testRounding)
    {
        if (format is null)
            return x;
        if (!_clock.Training)
            return format.Trim(x, testRounding);
        ulong seed = _clock.SeedFor(_index, tensor);
        return _steps is not null && _steps.Learns(tensor)
            ? _steps.Trim(tensor, x, _clock.TrainingRounding, seed)
            : StraightThrough.Trim(format, x, _clock.TrainingRounding, seed);
    }
}
