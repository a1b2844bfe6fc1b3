using Ristretto.Formats;

namespace Ristretto.Tests.Quantization;

/// <summary>Shared log-format contract: edges are the grid values, the log-domain split points and the zero threshold.</summary>
public abstract class LogFormatContract : FormatContract
{
    protected abstract LogFormat Log { get; }

    protected override NumberFormat Format => Log;

    protected override IEnumerable<double> EdgeValues(Random rng, int channel)
    {
        for (int e = Log.MinExponent - 3; e <= Log.MaxExponent + 2; e++)
        {
            double k = Log.StepsPerOctave;
            foreach (var v in Edges.WithNeighbours(Math.Pow(2, e / k))
                         .Concat(Edges.WithNeighbours(Math.Pow(2, (e + 0.5) / k)))
                         .Concat(Edges.WithNeighbours(Log.MinValue / 2)))
            {
                yield return v;
                yield return -v;
            }
        }
    }

    protected override bool WithinNearestBound(double x, double q, int channel)
    {
        if (!Log.Signed && x < 0)
            return q == 0;
        double a = Math.Abs(x);
        if (a < Log.MinValue)
            return Math.Abs(a - Math.Abs(q)) <= Log.MinValue / 2;
        // Half a step in the log domain (plus float32 rounding of the grid value).
        return Math.Abs(Math.Log2(Math.Abs(q)) - Math.Log2(a)) <= 0.5 / Log.StepsPerOctave + 1e-6;
    }

    protected override double StepAt(double x, int channel)
    {
        double a = Math.Abs(x);
        if (a < Log.MinValue)
            return Log.MinValue;
        int e = (int)Math.Floor(Log.StepsPerOctave * Math.Log2(a));
        return Log.Magnitude(e + 1) - Log.Magnitude(e);
    }
}

/// <summary>Signed 4-bit base-2 log (sign, zero, 7 exponents up to 2^0) against the format contract.</summary>
public class LogBase2ContractTests : LogFormatContract
{
    protected override LogFormat Log { get; } = new(4, 1, 0, signed: true);

    protected override double[] UnbiasedProbes => [0.3, -0.1, 0.7];
}

/// <summary>Unsigned 4-bit base-√2 log (zero and 15 half-octave exponents up to 2^1.5) against the format contract.</summary>
public class LogBaseSqrt2ContractTests : LogFormatContract
{
    protected override LogFormat Log { get; } = new(4, 2, 3, signed: false);

    protected override double[] UnbiasedProbes => [0.3, 1.1, 0.05];
}

/// <summary>Binary with one α per channel (axis 1) against the format contract.</summary>
public class BinaryPerChannelContractTests : FormatContract
{
    private static readonly BinaryFormat Binary = new([0.75f, 0.01f, 3f], 1);

    protected override NumberFormat Format => Binary;

    protected override long[] Shape => [1000, 3, 334];

    protected override long[] UnbiasedShape => [1_000_000, 3, 1];

    protected override IEnumerable<double> EdgeValues(Random rng, int channel)
        => new[] { 0.0, Binary.Alphas[channel], Binary.Alphas[channel] / 2, 1e-30 }.SelectMany(Edges.WithNeighbours).SelectMany(v => new[] { v, -v });

    protected override bool WithinNearestBound(double x, double q, int channel) => Math.Abs(x - q) <= Binary.Alphas[channel];

    protected override double StepAt(double x, int channel) => 2 * Binary.Alphas[channel];

    protected override double[] UnbiasedProbes => [0.3, -0.7];
}

/// <summary>Ternary with one (Δ, α) per channel (axis 1) against the format contract.</summary>
public class TernaryPerChannelContractTests : FormatContract
{
    private static readonly TernaryFormat Ternary = new([0.35f, 0.001f, 1f], [0.8f, 0.004f, 2.5f], 1);

    protected override NumberFormat Format => Ternary;

    protected override long[] Shape => [1000, 3, 334];

    protected override long[] UnbiasedShape => [1_000_000, 3, 1];

    protected override IEnumerable<double> EdgeValues(Random rng, int channel)
        => new[] { 0.0, Ternary.Thresholds[channel], Ternary.Alphas[channel], 1e-30 }.SelectMany(Edges.WithNeighbours).SelectMany(v => new[] { v, -v });

    protected override bool WithinNearestBound(double x, double q, int channel)
        => Math.Abs(x - q) <= Math.Max(Ternary.Thresholds[channel], Ternary.Alphas[channel] - Ternary.Thresholds[channel]);

    protected override double StepAt(double x, int channel) => Ternary.Alphas[channel];

    protected override double[] UnbiasedProbes => [0.3, -0.55];
}
