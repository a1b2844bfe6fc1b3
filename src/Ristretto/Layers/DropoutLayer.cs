using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Layers;

/// <summary>Dropout: identity at test time, inverted dropout with <see cref="Ratio"/> while training.</summary>
public sealed class DropoutLayer(string name, double ratio = 0.5) : Layer(name)
{
    /// <inheritdoc />
    public override string Type => "Dropout";

    /// <inheritdoc/>
    protected override Layer CopyCore() => new DropoutLayer(LayerName, Ratio);

    /// <summary>Fraction of activations dropped in training.</summary>
    public double Ratio { get; } = ratio is >= 0 and < 1 ? ratio : throw new RistrettoException($"layer '{name}': dropout ratio must be in [0, 1), got {ratio}");

    /// <inheritdoc />
    public override long[][] OutputShapes(long[][] inputs) => [inputs[0]];

    /// <inheritdoc />
    public override Tensor[] forward(Tensor[] inputs) =>
        [training && Ratio > 0 ? nn.functional.dropout(inputs[0], Ratio, true) : inputs[0].alias()];
}
