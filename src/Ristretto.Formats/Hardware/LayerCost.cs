namespace Ristretto.Hardware;

/// <summary>The cost of one weighted layer under one plan, per inference (one image).</summary>
public sealed record LayerCost
{
    /// <summary>Layer name.</summary>
    public required string Name { get; init; }

    /// <summary>Layer type (Convolution, InnerProduct).</summary>
    public required string Type { get; init; }

    /// <summary>The layer's shape numbers.</summary>
    public required LayerShape Shape { get; init; }

    /// <summary>The arithmetic its formats call for.</summary>
    public required LayerScheme Scheme { get; init; }

    /// <summary>Parameters (weights and biases).</summary>
    public long Parameters => Shape.Weights + Shape.Biases;

    /// <summary>Bits of weights and biases at the plan's widths.</summary>
    public long WeightBits => Shape.Weights * Scheme.WeightBits + Shape.Biases * Scheme.BiasBits;

    /// <summary>Bits of scales, zero points and offset constants (Σw per channel) the layer also stores.</summary>
    public required long ExtraParameterBits { get; init; }

    /// <summary>Activation bits moved: inputs read at <c>b_a</c> plus outputs written at <c>b_o</c>.</summary>
    public long ActivationBits => Shape.InputElements * Scheme.InputBits + Shape.OutputElements * Scheme.OutputBits;

    /// <summary>Bit operations: MACs × b_w × b_a.</summary>
    public double Bops => BopsOf(Shape.Macs, Scheme.WeightBits, Scheme.InputBits);

    /// <summary>The one BOPs count: <paramref name="macs"/> × <paramref name="weightBits"/> × <paramref name="inputBits"/>.</summary>
    public static double BopsOf(long macs, int weightBits, int inputBits) => (double)macs * weightBits * inputBits;

    /// <summary>Accumulator width: product bits + <c>⌈log2 K⌉</c>.</summary>
    public int AccumulatorBits => Scheme.ProductBits + Shape.GrowthBits;

    /// <summary>Energy per inference, by component.</summary>
    public required EnergyBreakdown Energy { get; init; }

    /// <summary>Area of a datapath built for this layer.</summary>
    public required AreaBreakdown Area { get; init; }

    /// <summary>Whether the weights stream from DRAM (false when the whole network's parameters fit in the buffer).</summary>
    public required bool WeightsFromDram { get; init; }

    /// <summary>Whether the activations spill to DRAM (input + output bits exceed the buffer).</summary>
    public required bool ActivationsSpill { get; init; }

    /// <summary>Operations for the roofline: 2 per MAC (a multiply and an add).</summary>
    public double Ops => 2.0 * Shape.Macs;

    /// <summary>Bytes moved at the trimmed widths: weights, biases, scale parameters and activations.</summary>
    public double Bytes => (WeightBits + ExtraParameterBits + ActivationBits) / 8.0;

    /// <summary>Operational intensity: ops per byte moved.</summary>
    public double Intensity => Bytes > 0 ? Ops / Bytes : double.PositiveInfinity;
}
