using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Models;
using Ristretto.Quantization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Finetuning;

/// <summary>
/// The trained scales (and, under LSQ+, offsets) of one layer's integer tensors: input, weights and output.
/// Each starts from the plan's calibrated values. Training passes quantize with
/// <see cref="LearnedStep.Quantize"/> or <see cref="LearnedStep.QuantizeWithOffset"/> so the loss reaches the
/// step. <see cref="Current"/> gives the plan these values stand for now: scales snapped to the format's scale
/// kind, offsets rounded to integer zero points, and a bias at <c>s_w · s_in</c> kept there. Under
/// <see cref="StepLearning.Ttq"/> the weights are binary or ternary instead and their α is trained
/// (<see cref="LearnedTwoLevel"/>); <see cref="Current"/> then gives α as trained and TWN's Δ of the shadow weights.
/// Owns its parameters.
/// </summary>
public sealed class LearnedSteps : IDisposable
{
    private static readonly string[] TensorNames = ["input", "weights", "bias", "output"];
    private readonly Entry?[] _entries = new Entry?[4];
    private readonly LayerQuantization _spec;
    private readonly bool _biasFollows;
    private readonly Parameter? _alpha;
    private readonly NumberFormat? _twoLevel;
    private Tensor? _lastWeights;

    private sealed record Entry(IntegerFormat Initial, Parameter Scale, Tensor? Offset, bool LearnsOffset) : IDisposable
    {
        public void Dispose()
        {
            Scale.Dispose();
            Offset?.Dispose();
        }
    }

    /// <summary>Makes the parameters for <paramref name="spec"/>'s integer tensors on <paramref name="device"/>.</summary>
    public LearnedSteps(string layerName, LayerQuantization spec, Device device)
    {
        ArgumentNullException.ThrowIfNull(spec);
        LayerName = layerName;
        _spec = spec;
        NumberFormat?[] formats = [spec.Input, spec.Weights, null, spec.Output];
        if (spec.Learning == StepLearning.Ttq)
        {
            if (spec.Weights is not (BinaryFormat or TernaryFormat))
                throw new RistrettoException($"layer '{layerName}' asks for a learned α (ttq) but its weights are not binary or ternary");
            _twoLevel = spec.Weights;
            float[] alphas = spec.Weights is BinaryFormat binary ? [.. binary.Alphas] : [.. ((TernaryFormat)spec.Weights).Alphas];
            using var scope = NewDisposeScope();
            _alpha = Graph.Layer.CopyParameter(tensor(alphas, ScalarType.Float32, device), requiresGrad: true);
            formats = [];
        }
        for (int t = 0; t < formats.Length; t++)
        {
            if (formats[t] is not IntegerFormat f)
                continue;
            using var scope = NewDisposeScope();
            var scale = Graph.Layer.CopyParameter(tensor(f.Scales.ToArray(), ScalarType.Float32, device), requiresGrad: true);
            bool learnsOffset = !f.IsSymmetric && spec.Learning == StepLearning.LsqPlus;
            Tensor? offset = null;
            if (!f.IsSymmetric)
            {
                // β = -z · s: the real value that code 0 stands for.
                var beta = tensor(f.Scales.Zip(f.ZeroPoints, (s, z) => -z * s).ToArray(), ScalarType.Float32, device);
                offset = learnsOffset ? Graph.Layer.CopyParameter(beta, requiresGrad: true) : beta.DetachFromDisposeScope();
            }
            _entries[t] = new Entry(f, scale, offset, learnsOffset);
        }
        if (_entries.All(e => e is null) && _alpha is null)
            throw new RistrettoException($"layer '{layerName}' asks for learned steps but has no int format to learn");
        _biasFollows = spec.Bias is IntegerFormat b && formats[0] is IntegerFormat i && formats[1] is IntegerFormat w
            && FollowsProduct(b, w, i);
    }

    /// <summary>The layer whose steps these are.</summary>
    public string LayerName { get; }

    /// <summary>The trained tensors, named <c>lsq:LAYER:TENSOR:scale</c> and <c>lsq:LAYER:TENSOR:offset</c>.</summary>
    public IEnumerable<(string name, Parameter parameter)> Parameters()
    {
        if (_alpha is not null)
            yield return (Name(1, "alpha"), _alpha);
        for (int t = 0; t < _entries.Length; t++)
        {
            if (_entries[t] is not { } e)
                continue;
            yield return (Name(t, "scale"), e.Scale);
            if (e.LearnsOffset)
                yield return (Name(t, "offset"), (Parameter)e.Offset!);
        }
    }

    /// <summary>True when tensor <paramref name="tensor"/> (0 input, 1 weights, 2 bias, 3 output) is quantized by <see cref="Trim"/>.</summary>
    public bool Learns(int tensor) => _entries[tensor] is not null || (tensor == 1 && _alpha is not null);

    /// <summary>Quantizes <paramref name="x"/> (tensor <paramref name="tensor"/>) with the learned step, gradients into it and into <paramref name="x"/>.</summary>
    public Tensor Trim(int tensor, Tensor x, Rounding rounding, ulong seed)
    {
        if (tensor == 1 && _alpha is not null)
            return TrimTwoLevel(x);
        var e = _entries[tensor] ?? throw new InvalidOperationException($"tensor {tensor} of {LayerName} has no learned step");
        using var scope = NewDisposeScope();
        var f = e.Initial;
        var shape = BroadcastShape(f, x);
        var s = e.Scale.reshape(shape);
        // LSQ's gradient scale 1/sqrt(N·qmax): N is the weights per scale, or the features per example per scale.
        long perScale = x.numel() / f.ChannelCount / (tensor == 1 ? 1 : Math.Max(1, x.shape[0]));
        double g = LearnedStep.GradScale(perScale, f.QMax);
        var y = e.Offset is null
            ? LearnedStep.Quantize(x, s, f.QMin, f.QMax, g, f.ChannelAxis, rounding, seed)
            : LearnedStep.QuantizeWithOffset(x, s, e.Offset.reshape(shape), f.QMin, f.QMax, g, rounding, seed);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The layer's formats as the learned values stand: scales snapped to each format's scale kind, learned
    /// offsets as the nearest valid integer zero point, and a bias that sat at <c>s_w · s_in</c> moved with them.
    /// </summary>
    public LayerQuantization Current()
    {
        if (_twoLevel is not null)
            return _spec with { Weights = CurrentTwoLevel() };
        var input = CurrentFormat(0) ?? _spec.Input;
        var weights = CurrentFormat(1) ?? _spec.Weights;
        return _spec with { Input = input, Weights = weights, Bias = BiasFor(weights, input), Output = CurrentFormat(3) ?? _spec.Output };
    }

    /// <summary>
    /// The plan's formats with only the bias moved to the learned <c>s_w · s_in</c>: what a training pass needs,
    /// since it quantizes the learned tensors through <see cref="Trim"/> (cheaper than <see cref="Current"/>).
    /// </summary>
    public LayerQuantization ForTraining()
        => _biasFollows ? _spec with { Bias = BiasFor(CurrentFormat(1), CurrentFormat(0)) } : _spec;

    /// <summary>The learned values by parameter name, for a checkpoint.</summary>
    public IEnumerable<KeyValuePair<string, float[]>> Values()
        => Parameters().Select(p => new KeyValuePair<string, float[]>(p.name, Read(p.parameter)));

    /// <summary>Restores values written by <see cref="Values"/>; a missing entry or another length is an error.</summary>
    public void Restore(IReadOnlyDictionary<string, float[]> values, string source)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in Parameters())
        {
            if (!values.TryGetValue(name, out var v))
                throw new RistrettoException($"{source} holds no learned value for {name}");
            if (v.Length != p.numel())
                throw new RistrettoException($"{source}: {name} has {v.Length} values, the layer {p.numel()}");
            using var t = tensor(v, ScalarType.Float32, p.device);
            p.copy_(t);
        }
    }

    /// <summary>
    /// Binary/ternary weights with the trained α (TTQ's scaled straight-through gradient); the shadow weights are
    /// remembered so that <see cref="Current"/> can give TWN's Δ of them.
    /// </summary>
    private Tensor TrimTwoLevel(Tensor w)
    {
        using var scope = NewDisposeScope();
        bool perChannel = _twoLevel!.ChannelAxis is not null;
        var alpha = _alpha!.AtLeast(1.17549435e-38).reshape(perChannel ? LearnedTwoLevel.ChannelShape(w) : []);
        var y = LearnedTwoLevel.Quantize(w, alpha, _twoLevel is TernaryFormat, perChannel);
        _lastWeights?.Dispose();
        _lastWeights = w.detach().clone().DetachFromDisposeScope();
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The two-level weight format as α stands (positive normal floats) with Δ from the last shadow weights seen.</summary>
    private NumberFormat CurrentTwoLevel()
    {
        const float tiny = 1.17549435e-38f;
        float[] alphas = Read(_alpha!).Select(a => Math.Max(a, tiny)).ToArray();
        int? axis = _twoLevel!.ChannelAxis;
        if (_twoLevel is BinaryFormat)
            return axis is null ? new BinaryFormat(alphas[0]) : new BinaryFormat(alphas, axis);
        var ternary = (TernaryFormat)_twoLevel;
        float[] deltas = [.. ternary.Thresholds];
        if (_lastWeights is not null)
        {
            // TWN's rule as the format computes it (in double), so a plan made from these weights has the same Δ.
            float[] all = Read(_lastWeights);
            int rows = axis is null ? 1 : (int)_lastWeights.shape[0], per = all.Length / rows;
            deltas = [.. TernaryFormat.PerChannelFromWeights(Enumerable.Range(0, rows).Select(c => all.AsSpan(c * per, per).ToArray())).Thresholds];
        }
        // Δ < α must hold: a threshold at or above α keeps its channel's zero band just under α.
        for (int c = 0; c < deltas.Length; c++)
            if (!(deltas[c] < alphas[c]))
                deltas[c] = MathF.BitDecrement(alphas[c]);
        return axis is null ? new TernaryFormat(Math.Max(deltas[0], 0), alphas[0]) : new TernaryFormat(deltas.Select(d => Math.Max(d, 0)), alphas, axis);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _alpha?.Dispose();
        _lastWeights?.Dispose();
        foreach (var e in _entries)
            e?.Dispose();
    }

    private string Name(int tensor, string what) => $"{ParameterNames.LearnedStepPrefix}{LayerName}:{TensorNames[tensor]}:{what}";

    private IntegerFormat? CurrentFormat(int tensor)
    {
        if (_entries[tensor] is not { } e)
            return null;
        var f = e.Initial;
        float[] learned = Read(e.Scale);
        var scales = learned.Select(s => IntegerFormat.SnapScale(Math.Max(s, 1.17549435e-38f), f.ScaleKind, f.ScaleFractionBits)).ToArray();
        var zeros = f.ZeroPoints.ToArray();
        if (e.LearnsOffset)
        {
            float[] beta = Read(e.Offset!);
            for (int c = 0; c < zeros.Length; c++)
                zeros[c] = (int)Math.Clamp(Math.Round(-beta[c] / scales[c], MidpointRounding.ToEven), f.QMin, f.QMax);
        }
        return new IntegerFormat(f.BitWidth, f.Signed, scales, zeros, f.ChannelAxis, f.NarrowRange, f.ScaleKind, f.ScaleFractionBits);
    }

    private NumberFormat? BiasFor(NumberFormat? weights, NumberFormat? input)
    {
        if (!_biasFollows || _spec.Bias is not IntegerFormat b || weights is not IntegerFormat w || input is not IntegerFormat i)
            return _spec.Bias;
        var scales = w.Scales.Select(sw => IntegerFormat.SnapScale((double)sw * i.Scales[0], b.ScaleKind, b.ScaleFractionBits));
        return new IntegerFormat(b.BitWidth, b.Signed, scales, b.ZeroPoints, b.ChannelAxis, b.NarrowRange, b.ScaleKind, b.ScaleFractionBits);
    }

    private static float[] Read(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().cpu().data<float>().ToArray();
    }

    private static long[] BroadcastShape(IntegerFormat f, Tensor x)
    {
        if (f.ChannelAxis is not { } axis)
            return [];
        var shape = Enumerable.Repeat(1L, (int)x.dim() - axis).ToArray();
        shape[0] = f.ChannelCount;
        return shape;
    }

    private static bool FollowsProduct(IntegerFormat bias, IntegerFormat weights, IntegerFormat input)
    {
        if (input.ChannelCount != 1 || bias.ChannelCount != weights.ChannelCount)
            return false;
        for (int c = 0; c < bias.ChannelCount; c++)
        {
            double product = (double)weights.Scales[c] * input.Scales[0];
            if (Math.Abs(bias.Scales[c] - product) > 1e-5 * product)
                return false;
        }
        return true;
    }
}
