using Ristretto.Graph;
using Ristretto.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Jobs;

/// <summary>
/// A model <see cref="ModelLoader"/> opened, with what is needed to write it back: the zoo architecture behind a .rstm
/// (null for imported graphs), its class count, and the plan a Ristretto prototxt's quantized layers carry (when it was
/// loaded in float form). Disposing it disposes the model.
/// </summary>
public sealed record LoadedModel(nn.Module<Tensor, Tensor> Model, string Path, string? Architecture, int Classes, QuantizationPlan? CarriedPlan) : IDisposable
{
    /// <summary>The model as a graph network; one error line saying what needed one otherwise (e.g. "quantized").</summary>
    public Network Network(string purpose) =>
        Model as Network ?? throw new RistrettoException($"{Path}: only graph networks can be {purpose}");

    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();
}
