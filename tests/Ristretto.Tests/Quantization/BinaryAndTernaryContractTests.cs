using Ristretto.Formats;

namespace Ristretto.Tests.Quantization;

/// <summary>Binary ±0.75 against the format contract.</summary>
public class BinaryContractTests : FormatContract
{
    private static readonly BinaryFormat Binary = new(0.75f);

    protected override NumberFormat Format => Binary;

    protected override IEnumerable<double> EdgeValues(Random rng, int channel)
        => new[] { 0.0, 0.75, 0.375, 1e-30 }.SelectMany(Edges.WithNeighbours).SelectMany(v => new[] { v, -v });

    protected override bool WithinNearestBound(double x, double q, int channel) => Math.Abs(x - q) <= Binary.Alpha;

    protected override double StepAt(double x, int channel) => 2 * Binary.Alpha;

    protected override double[] UnbiasedProbes => [0.3, -0.7];
}

/// <summary>Ternary with Δ = 0.35, α = 0.8 against the format contract.</summary>
public class TernaryContractTests : FormatContract
{
    private static readonly TernaryFormat Ternary = new(0.35f, 0.8f);

    protected override NumberFormat Format => Ternary;

    protected override IEnumerable<double> EdgeValues(Random rng, int channel)
        => new[] { 0.0, 0.35, 0.8, 0.4, 1e-30 }.SelectMany(Edges.WithNeighbours).SelectMany(v => new[] { v, -v });

    protected override bool WithinNearestBound(double x, double q, int channel)
        => Math.Abs(x - q) <= Math.Max(Ternary.Threshold, Ternary.Alpha - Ternary.Threshold);

    protected override double StepAt(double x, int channel) => Ternary.Alpha;

    protected override double[] UnbiasedProbes => [0.3, -0.55];
}
