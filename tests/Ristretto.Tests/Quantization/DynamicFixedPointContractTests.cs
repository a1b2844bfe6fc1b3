using Ristretto.Formats;

namespace Ristretto.Tests.Quantization;

/// <summary>Dynamic fixed point, 8 bits with 3 fractional bits, against the format contract.</summary>
public class DynamicFixedPointContractTests : FormatContract
{
    private static readonly DynamicFixedPoint Dfp = new(8, 3);

    protected override NumberFormat Format => Dfp;

    protected override IEnumerable<double> EdgeValues(Random rng, int channel)
        => Edges.Affine(rng, Dfp.Step, 0, Dfp.MinCode, Dfp.MaxCode);

    protected override bool WithinNearestBound(double x, double q, int channel) => Math.Abs(x - q) <= Dfp.Step / 2;

    protected override double StepAt(double x, int channel) => Dfp.Step;

    protected override double[] UnbiasedProbes => [0.3, -1.2345, 15.8, -15.99];
}

/// <summary>Dynamic fixed point with a negative fractional length (step 8) against the format contract.</summary>
public class DynamicFixedPointNegativeFlContractTests : FormatContract
{
    private static readonly DynamicFixedPoint Dfp = new(5, -3);

    protected override NumberFormat Format => Dfp;

    protected override IEnumerable<double> EdgeValues(Random rng, int channel)
        => Edges.Affine(rng, Dfp.Step, 0, Dfp.MinCode, Dfp.MaxCode);

    protected override bool WithinNearestBound(double x, double q, int channel) => Math.Abs(x - q) <= Dfp.Step / 2;

    protected override double StepAt(double x, int channel) => Dfp.Step;

    protected override double[] UnbiasedProbes => [3.3, -77.7];
}
