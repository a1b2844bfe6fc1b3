using Ristretto.Formats;

namespace Ristretto.Tests.Quantization;

/// <summary>Shared power-of-two contract: edges are powers, the √2 split points and the zero threshold.</summary>
public abstract class PowerOfTwoContract : FormatContract
{
    protected abstract PowerOfTwo Pow2 { get; }

    protected override NumberFormat Format => Pow2;

    protected override IEnumerable<double> EdgeValues(Random rng, int channel)
    {
        for (int e = Pow2.MinExponent - 3; e <= Pow2.MaxExponent + 2; e++)
        {
            foreach (var v in Edges.WithNeighbours(Math.ScaleB(1.0, e))
                         .Concat(Edges.WithNeighbours(Math.ScaleB(PowerOfTwoOp.SqrtTwoCeiling, e)))
                         .Concat(Edges.WithNeighbours(Math.ScaleB(1.5, e))))
            {
                yield return v;
                yield return -v;
            }
        }
    }

    protected override bool WithinNearestBound(double x, double q, int channel)
    {
        double a = Math.Abs(x);
        if (a < Pow2.MinValue)
            return Pow2.ZeroRepresentable ? Math.Abs(x - q) <= Pow2.MinValue / 2 : Math.Abs(q) == Pow2.MinValue;
        return Math.Abs(Math.Log2(Math.Abs(q)) - Math.Log2(a)) <= 0.5 && Math.Sign(q) == Math.Sign(x);
    }

    protected override double StepAt(double x, int channel)
    {
        double a = Math.Abs(x);
        return a < Pow2.MinValue ? Pow2.MinValue : Math.ScaleB(1.0, Math.ILogB(a));
    }
}

/// <summary>Ristretto's power-of-two range −8 … −1, with zero, against the format contract.</summary>
public class PowerOfTwoContractTests : PowerOfTwoContract
{
    protected override PowerOfTwo Pow2 { get; } = new();

    protected override double[] UnbiasedProbes => [0.3, -0.1, 0.003];
}

/// <summary>Power of two without a zero code (Ristretto's behaviour) against the format contract.</summary>
public class PowerOfTwoWithoutZeroContractTests : PowerOfTwoContract
{
    protected override PowerOfTwo Pow2 { get; } = new(-4, 3, zeroRepresentable: false);

    protected override double[] UnbiasedProbes => [1.7, -5.5];
}
