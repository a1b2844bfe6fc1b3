using Ristretto.Engine;
using Ristretto.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Training;

/// <summary>
/// Caffe's SGD update: g ← ∇ + λ·w; v ← μ·v + lr·mult·g; w ← w − v. Momentum buffers are owned here
/// and can be exported for a checkpoint and restored bit for bit.
/// </summary>
public sealed class CaffeSgd : ISolver
{
    private readonly SolverParameters _params;
    private readonly Dictionary<string, Tensor> _history = new(StringComparer.Ordinal);
    private readonly SolverSettings _settings;

    /// <summary>Optimises every parameter of <paramref name="model"/>.</summary>
    public CaffeSgd(nn.Module model, SolverSettings settings)
        : this((model ?? throw new ArgumentNullException(nameof(model))).named_parameters(), settings)
    {
    }

    /// <summary>Optimises the named <paramref name="parameters"/>.</summary>
    public CaffeSgd(IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> parameters, SolverSettings settings)
    {
        _settings = settings.Validate();
        _params = new SolverParameters(parameters, settings);
    }

    /// <summary>Applies one update for 0-based <paramref name="iteration"/> using the gradients now held.</summary>
    public void Step(long iteration)
    {
        double rate = _settings.LearningRate(iteration);
        using var noGrad = no_grad();
        // Scalars are made and disposed explicitly: implicit double→Scalar conversions leave native
        // objects to the finalizer thread, which is not safe in a hot loop (style.md, rule 6).
        using var momentum = _settings.Momentum.ToScalar();
        using var decay = _settings.WeightDecay.ToScalar();
        foreach (var (name, p, mult, decays) in _params.All)
        {
            using var grad = p.grad;
            if (grad is null)
                continue;
            if (!_history.TryGetValue(name, out var v))
            {
                v = zeros_like(p).DetachFromDisposeScope();
                _history[name] = v;
            }
            using var step = (rate * mult).ToScalar();
            using var g = _settings.WeightDecay > 0 && decays ? grad.add(p, alpha: decay) : grad.alias();
            v.mul_(momentum).add_(g, alpha: step);
            p.sub_(v);
        }
    }

    /// <summary>Momentum buffers as plain data, for a checkpoint.</summary>
    public IReadOnlyList<TensorBlob> ExportState() =>
        _history.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => TensorBlob.From(kv.Key, kv.Value)).ToList();

    /// <summary>Restores momentum buffers written by <see cref="ExportState"/>.</summary>
    public void ImportState(IEnumerable<TensorBlob> state)
    {
        foreach (var blob in state)
        {
            var param = _params.ForState(blob.Name, blob);
            if (_history.Remove(blob.Name, out var old))
                old.Dispose();
            using var scope = NewDisposeScope();
            _history[blob.Name] = blob.ToTensor(param.device).DetachFromDisposeScope();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var v in _history.Values)
            v.Dispose();
        _history.Clear();
    }
}
