using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>
/// A layer's zero-padded copy of its weights for oneDNN (<see cref="OneDnnConvolution"/>), kept for one evaluation:
/// valid while the same weight tensor comes back in the same evaluation (<see cref="Engine.ConvolutionPlan.Generation"/>; weights do not
/// change while an evaluation scope is open). Thread-safe: each caller gets its own alias of the copy, so replacing or
/// disposing the copy never frees memory another pass still reads.
/// </summary>
internal sealed class PaddedWeights : IDisposable
{
    private readonly Lock _gate = new();
    private Tensor? _source;
    private Tensor? _padded;
    private long _generation;

    /// <summary>The padded copy of <paramref name="weight"/> for <paramref name="generation"/>, made by <paramref name="pad"/> when missing; in the caller's dispose scope.</summary>
    public Tensor Get(Tensor weight, long generation, Func<Tensor> pad)
    {
        lock (_gate)
        {
            if (_padded is null || !ReferenceEquals(weight, _source) || generation != _generation)
            {
                _padded?.Dispose();
                _padded = null;
                using (var scope = NewDisposeScope())
                {
                    var made = pad();
                    _padded = (ReferenceEquals(made, weight) ? made.clone() : made.contiguous()).DetachFromDisposeScope();
                }
                _source = weight;
                _generation = generation;
            }
            return _padded.alias();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _padded?.Dispose();
            _padded = null;
            _source = null;
        }
    }
}
