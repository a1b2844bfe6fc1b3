using System.Collections.Concurrent;
using Ristretto.Formats;
using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Quantization;

/// <summary>
/// The squared error a weight format of one layer causes in the network's output over a sample of calibration images:
/// <c>Σ ‖F(x) − F_f(x)‖²</c>, with <c>F_f</c> the network whose only trimmed tensor is that layer's weights, in format
/// <c>f</c> (nearest rounding), and <c>F</c> the float network. Unlike the error over the weights, or over the layer's own
/// output, it weighs each weight by how much the network's result depends on it. The sample (<see cref="OutputSample"/>) is
/// the first calibration images, bounded in size; each format's error is computed once.
/// </summary>
public sealed class WeightOutputError
{
    private readonly OutputSample _sample;
    private readonly string _layer;
    private readonly ConcurrentDictionary<NumberFormat, double> _errors = new();

    /// <summary>The error of <paramref name="layer"/>'s weight formats over <paramref name="sample"/>.</summary>
    public WeightOutputError(OutputSample sample, string layer)
    {
        _sample = sample ?? throw new ArgumentNullException(nameof(sample));
        _layer = layer ?? throw new ArgumentNullException(nameof(layer));
    }

    /// <summary>Images in the sample.</summary>
    public int Count => _sample.Count;

    /// <summary>The network output's squared error over the sample with this layer's weights in <paramref name="format"/>.</summary>
    public double Of(NumberFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        return _errors.GetOrAdd(format, f => _sample.Error(new QuantizationPlan(
            new Dictionary<string, LayerQuantization>(StringComparer.Ordinal) { [_layer] = new LayerQuantization(Weights: f) }, $"{_layer} weights {f}")));
    }
}

/// <summary>
/// The first calibration images (at most <see cref="MaxImages"/>, and at most <see cref="MaxValues"/> input values: bounded
/// memory, a CPU copy) and the float network's output on them, against which a plan's output error is measured.
/// </summary>
public sealed class OutputSample
{
    /// <summary>Most images kept.</summary>
    public const int MaxImages = 256;

    /// <summary>Most input values kept (16 MiB of float32).</summary>
    public const long MaxValues = 1L << 22;

    private readonly Network _network;
    private readonly List<float[]> _images = [];
    private long[]? _shape;
    private float[]? _reference;
    private int _capacity = MaxImages;

    /// <summary>An empty sample of <paramref name="network"/>'s inputs.</summary>
    public OutputSample(Network network) => _network = network ?? throw new ArgumentNullException(nameof(network));

    /// <summary>Images kept.</summary>
    public int Count => _images.Count;

    /// <summary>Keeps the first images of <paramref name="batch"/> (batch axis first) until the sample is full.</summary>
    public void Add(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_shape is null)
        {
            _shape = batch.shape[1..];
            _capacity = (int)Math.Clamp(MaxValues / Math.Max(1, _shape.Aggregate(1L, (a, b) => a * b)), 1, MaxImages);
        }
        if (_images.Count >= _capacity)
            return;
        using var scope = NewDisposeScope();
        using var cpu = batch.detach().to_type(ScalarType.Float32).cpu().contiguous();
        long n = Math.Min(cpu.shape[0], _capacity - _images.Count);
        for (long i = 0; i < n; i++)
            _images.Add(cpu[i].data<float>().ToArray());
        _reference = null;
    }

    /// <summary>The squared difference between the outputs of <paramref name="plan"/> and of the float network over the sample.</summary>
    public double Error(QuantizationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (_images.Count == 0)
            return 0;
        lock (_images)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            bool wasTraining = _network.training;
            _network.eval();
            try
            {
                var device = _network.parameters().FirstOrDefault()?.device ?? CPU;
                var x = Images().to(device);
                if (_reference is null)
                {
                    var inputs = new Dictionary<string, Tensor> { [_network.Inputs[0].Name] = x };
                    _reference = _network.Run(inputs)[_network.Outputs[0]].to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
                }
                using var model = new QuantizedNetwork(_network, plan);
                model.eval();
                var y = model.forward(x).to_type(ScalarType.Float64).cpu();
                var d = y - tensor(_reference, y.shape).to_type(ScalarType.Float64);
                return d.mul(d).sum().item<double>();
            }
            finally
            {
                if (wasTraining)
                    _network.train();
            }
        }
    }

    private Tensor Images()
    {
        int per = _images[0].Length;
        var values = new float[(long)per * _images.Count];
        for (int i = 0; i < _images.Count; i++)
            _images[i].CopyTo(values, (long)i * per);
        return tensor(values, [_images.Count, .. _shape!]);
    }
}
