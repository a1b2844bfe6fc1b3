using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Graph;

/// <summary>A layer computed from weights and an optional bias (convolution, inner product): quantizable.</summary>
public interface IWeightedLayer
{
    /// <summary>The weights.</summary>
    Parameter Weight { get; }

    /// <summary>The bias, or null.</summary>
    Parameter? Bias { get; }

    /// <summary>The layer's operation with the given (e.g. trimmed) weights and bias instead of its own.</summary>
    Tensor Apply(Tensor input, Tensor weight, Tensor? bias);
}
