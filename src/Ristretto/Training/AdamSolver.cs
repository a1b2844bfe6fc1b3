using Ristretto.Engine;
using Ristretto.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Training;

/// <summary>
/// Caffe's Adam (Kingma and Ba): g ← ∇ + λ·w; m ← β₁·m + (1−β₁)·g; v ← β₂·v + (1−β₂)·g²;
/// w ← w − lr·mult·√(1−β₂^t)/(1−β₁^t) · m / (√v + ε), with t the 1-based iteration. The bias correction
/// depends only on the iteration, so the moments are the whole state (checkpointed as "m:NAME", "v:NAME").
/// </summary>
public sealed class AdamSolver : ISolver
{
    private readonly SolverParameters _params;
    private readonly Dictionary<string, (Tensor M, Tensor V)> _moments = new(StringComparer.Ordinal);
    private readonly SolverSettings _settings;

    /// <summary>Optimises every parameter of <paramref name="model"/> (biases with the bias lr multiplier).</summary>
    public AdamSolver(nn.Module model, SolverSettings settings)
        : this((model ?? throw new ArgumentNullException(nameof(model))).named_parameters(), settings)
    {
    }

    /// <summary>Optimises the named <paramref name="parameters"/>.</summary>
    public AdamSolver(IEnumerable<(string name, TorchSharp.Modules.Parameter parameter)> parameters, SolverSettings settings)
    {
        _settings = settings.Validate();
        _params = new SolverParameters(parameters, settings);
    }

    /// <inheritdoc />
    public void Step(long iteration)
    {
        double t = iteration + 1;
        double correction = Math.Sqrt(1 - Math.Pow(_settings.Beta2, t)) / (1 - Math.Pow(_settings.Momentum, t));
        double rate = _settings.LearningRate(iteration) * correction;
        using var noGrad = no_grad();
        using var beta1 = _settings.Momentum.ToScalar();
        using var oneMinusBeta1 = (1 - _settings.Momentum).ToScalar();
        using var beta2 = _settings.Beta2.ToScalar();
        using var oneMinusBeta2 = (1 - _settings.Beta2).ToScalar();
        using var epsilon = _settings.Epsilon.ToScalar();
        using var decay = _settings.WeightDecay.ToScalar();
        foreach (var (name, p, mult, decays) in _params.All)
        {
            using var grad = p.grad;
            if (grad is null)
                continue;
            if (!_moments.TryGetValue(name, out var state))
            {
                state = (zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
                _moments[name] = state;
            }
            using var scope = NewDisposeScope();
            var g = _settings.WeightDecay > 0 && decays ? grad.add(p, alpha: decay) : grad.alias();
            state.M.mul_(beta1).add_(g, alpha: oneMinusBeta1);
            state.V.mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
            using var step = (-rate * mult).ToScalar();
            p.addcdiv_(state.M, state.V.sqrt().add_(epsilon, Scalars.One), value: step);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<TensorBlob> ExportState() =>
        _moments.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .SelectMany(kv => new[] { TensorBlob.From("m:" + kv.Key, kv.Value.M), TensorBlob.From("v:" + kv.Key, kv.Value.V) })
            .ToList();

    /// <inheritdoc />
    public void ImportState(IEnumerable<TensorBlob> state)
    {
        var pending = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var blob in state)
            {
                bool isM = blob.Name.StartsWith("m:", StringComparison.Ordinal);
                if (!isM && !blob.Name.StartsWith("v:", StringComparison.Ordinal))
                    throw new RistrettoException($"checkpoint's Adam state has an unexpected entry {blob.Name} (was it written by SGD?)");
                string name = blob.Name[2..];
                var param = _params.ForState(name, blob);
                using var scope = NewDisposeScope();
                pending[blob.Name] = blob.ToTensor(param.device).DetachFromDisposeScope();
            }
            foreach (string key in pending.Keys.Where(k => k.StartsWith("m:", StringComparison.Ordinal)).ToList())
            {
                string name = key[2..];
                if (!pending.Remove("v:" + name, out var v))
                    throw new RistrettoException($"checkpoint's Adam state has m but no v for {name}");
                pending.Remove(key, out var m);
                if (_moments.Remove(name, out var old))
                {
                    old.M.Dispose();
                    old.V.Dispose();
                }
                _moments[name] = (m!, v);
            }
            if (pending.Count > 0)
                throw new RistrettoException($"checkpoint's Adam state has v but no m for {pending.Keys.First()[2..]}");
        }
        finally
        {
            foreach (var t in pending.Values)
                t.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (m, v) in _moments.Values)
        {
            m.Dispose();
            v.Dispose();
        }
        _moments.Clear();
    }
}
