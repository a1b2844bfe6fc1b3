using Ristretto.Formats;

namespace Ristretto.Tests.Quantization;

/// <summary>Shared minifloat contract: edges are ties, carries, saturation and flush thresholds.</summary>
public abstract class MiniFloatContract : FormatContract
{
    protected abstract MiniFloat Mini { get; }

    protected override NumberFormat Format => Mini;

    protected override IEnumerable<double> EdgeValues(Random rng, int channel)
    {
        int m = Mini.MantissaBits;
        for (int e = Math.Max(Mini.MinExponent - 2, -149 + m); e <= Math.Min(Mini.MaxExponent + 1, 127); e++)
        {
            double q = Math.ScaleB(1.0, e - m);
            for (int j = 0; j < 20; j++)
            {
                double mant = (1L << m) + rng.NextInt64(0, 1L << m);
                foreach (var v in Edges.WithNeighbours((mant + 0.5) * q))
                    yield return rng.Next(2) == 0 ? v : -v;
                yield return mant * q;
            }
            yield return ((2L << m) - 0.5) * q;               // a tie whose rounding carries into the next binade
            yield return -((2L << m) - 0.5) * q;
        }
        foreach (var v in Edges.WithNeighbours(Mini.MaxValue).Concat(Edges.WithNeighbours(Mini.MinNormal)))
        {
            yield return v;
            yield return -v;
        }
    }

    protected override bool WithinNearestBound(double x, double q, int channel)
    {
        double a = Math.Abs(x);
        if (a < Mini.MinNormal)
            return q == 0;                                     // flush to zero, no denormals
        return Math.Abs(x - q) <= StepAt(x, channel) / 2;
    }

    protected override double StepAt(double x, int channel)
        => Math.ScaleB(1.0, Math.ILogB(Math.Abs(x)) - Mini.MantissaBits);
}

/// <summary>Minifloat with 4 exponent and 3 mantissa bits (8 bits) against the format contract.</summary>
public class MiniFloatContractTests : MiniFloatContract
{
    protected override MiniFloat Mini { get; } = new(4, 3);

    protected override double[] UnbiasedProbes => [1.3, -37.7, 0.0123];
}

/// <summary>Minifloat with 8 exponent bits (bfloat16-like, the full float32 exponent range) against the contract.</summary>
public class MiniFloatWideExponentContractTests : MiniFloatContract
{
    protected override MiniFloat Mini { get; } = new(8, 7);

    protected override double[] UnbiasedProbes => [1.3, -3.7e-30];
}

/// <summary>Minifloat without stored mantissa bits (powers of two with round-half-even in the linear domain).</summary>
public class MiniFloatNoMantissaContractTests : MiniFloatContract
{
    protected override MiniFloat Mini { get; } = new(3, 0);

    protected override double[] UnbiasedProbes => [1.3, -5.5];
}
