namespace Ristretto.Hardware;

/// <summary>
/// What the cost model needs to know about one weighted layer (convolution or inner product), per image.
/// </summary>
/// <param name="Macs">Multiply-accumulates.</param>
/// <param name="ReductionLength">Length K of each dot product (input channels per group × kernel area, or input features).</param>
/// <param name="OutputChannels">Output channels (or features).</param>
/// <param name="Groups">Convolution groups (1 for dense layers).</param>
/// <param name="Weights">Weight values.</param>
/// <param name="Biases">Bias values (0 without a bias).</param>
/// <param name="InputElements">Input activations read.</param>
/// <param name="OutputElements">Output activations written.</param>
public sealed record LayerShape(long Macs, long ReductionLength, long OutputChannels, long Groups, long Weights, long Biases,
    long InputElements, long OutputElements)
{
    /// <summary>Output positions per channel (<c>outputs / channels</c>).</summary>
    public long Positions => OutputElements / Math.Max(1, OutputChannels);

    /// <summary>Bits the accumulator grows by over a dot product: <c>⌈log2 K⌉</c>.</summary>
    public int GrowthBits => OpCostModel.Stages(ReductionLength);

    /// <summary>Checks the numbers are consistent; throws <see cref="ArgumentException"/> otherwise.</summary>
    public LayerShape Validated()
    {
        if (Macs < 0 || ReductionLength < 1 || OutputChannels < 1 || Groups < 1 || Weights < 0 || Biases < 0 || InputElements < 0 || OutputElements < 0)
            throw new ArgumentException($"inconsistent layer shape {this}");
        return this;
    }
}
