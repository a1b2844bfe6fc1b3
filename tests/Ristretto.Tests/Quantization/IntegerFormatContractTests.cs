using Ristretto.Formats;

namespace Ristretto.Tests.Quantization;

/// <summary>Shared integer-format contract: affine edges per channel, error ≤ s/2 up to float32 rounding.</summary>
public abstract class IntegerFormatContract : FormatContract
{
    protected abstract IntegerFormat Int { get; }

    protected override NumberFormat Format => Int;

    protected override IEnumerable<double> EdgeValues(Random rng, int channel)
        => Edges.Affine(rng, Int.Scales[channel], Int.ZeroPoints[channel], Int.QMin, Int.QMax, 1000);

    protected override bool WithinNearestBound(double x, double q, int channel)
    {
        double s = Int.Scales[channel];
        return Math.Abs(x - q) <= s / 2 + 1e-6 * Math.Max(Math.Abs(x), s);
    }

    protected override double StepAt(double x, int channel) => Int.Scales[channel];
}

/// <summary>Symmetric 8-bit, float scale.</summary>
public class IntegerSymmetricContractTests : IntegerFormatContract
{
    protected override IntegerFormat Int { get; } = IntegerFormat.Symmetric(8, 0.0173f);

    protected override double[] UnbiasedProbes => [0.3, -1.9];
}

/// <summary>Asymmetric 4-bit with a zero point.</summary>
public class IntegerAsymmetricContractTests : IntegerFormatContract
{
    protected override IntegerFormat Int { get; } = IntegerFormat.Asymmetric(4, 0.37f, 3);

    protected override double[] UnbiasedProbes => [0.3, -0.9, 4.2];
}

/// <summary>Symmetric narrow-range 6-bit with a fixed-point scale (13 · 2^-7).</summary>
public class IntegerFixedPointScaleContractTests : IntegerFormatContract
{
    protected override IntegerFormat Int { get; } = IntegerFormat.Symmetric(6, 13 / 128f, narrowRange: true, ScaleKind.FixedPoint, 7);

    protected override double[] UnbiasedProbes => [0.3, -2.5];
}

/// <summary>Symmetric 8-bit with a power-of-two scale (exact ties).</summary>
public class IntegerPowerOfTwoScaleContractTests : IntegerFormatContract
{
    protected override IntegerFormat Int { get; } = IntegerFormat.Symmetric(8, 1 / 32f, scaleKind: ScaleKind.PowerOfTwo);

    protected override double[] UnbiasedProbes => [0.3, -2.5];
}

/// <summary>Per-channel asymmetric 8-bit along axis 1 of a [1000, 5, 200] tensor.</summary>
public class IntegerPerChannelContractTests : IntegerFormatContract
{
    protected override IntegerFormat Int { get; } =
        IntegerFormat.PerChannel(8, 1, [0.01f, 0.5f, 2f, 0.125f, 3.3e-5f], [0, 3, 7, 255, 128], signed: false);

    protected override long[] Shape => [1000, 5, 200];

    protected override long[] UnbiasedShape => [200_000, 5, 5];

    protected override double[] UnbiasedProbes => [0.3, 1.234];
}
