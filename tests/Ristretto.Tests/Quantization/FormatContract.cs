using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Tests.Quantization;

/// <summary>
/// The contract every number format passes (one test class per format inherits it): the fused kernel and the
/// torch-op chain equal the scalar reference bit for bit on a million values (ties, saturation edges, ±0, NaN,
/// ±Inf, denormals, huge and tiny values), trimming is idempotent, nearest stays within its error bound, and
/// stochastic rounding is unbiased and reproducible for a seed.
/// </summary>
public abstract class FormatContract
{
    /// <summary>Values per format in the oracle comparison.</summary>
    protected const int Count = 1_000_000;

    /// <summary>The format under test.</summary>
    protected abstract NumberFormat Format { get; }

    /// <summary>Tensor shape of the test data (must suit the format's channel axis); 1e6 elements by default.</summary>
    protected virtual long[] Shape => [Count];

    /// <summary>Format-specific edge values for <paramref name="channel"/>: ties, neighbours of thresholds, carries.</summary>
    protected abstract IEnumerable<double> EdgeValues(Random rng, int channel);

    /// <summary>Whether nearest rounding of <paramref name="x"/> to <paramref name="q"/> is within the format's bound.</summary>
    protected abstract bool WithinNearestBound(double x, double q, int channel);

    /// <summary>The gap between the two representable neighbours of an in-range <paramref name="x"/>.</summary>
    protected abstract double StepAt(double x, int channel);

    /// <summary>In-range values (off the grid) used by the unbiasedness test, for channel 0.</summary>
    protected abstract double[] UnbiasedProbes { get; }

    private long Numel => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Shape of the unbiasedness test: channel 0 must hold at least a million elements.</summary>
    protected virtual long[] UnbiasedShape => Shape;

    /// <summary>The channel of the element at flat index <paramref name="i"/> of a tensor shaped <paramref name="shape"/>.</summary>
    protected int ChannelOf(long i, long[]? shape = null)
    {
        shape ??= Shape;
        if (Format.ChannelAxis is not { } axis)
            return 0;
        long inner = shape.Skip(axis + 1).Aggregate(1L, (a, b) => a * b);
        return (int)(i / inner % shape[axis]);
    }

    [Theory]
    [InlineData(Rounding.Nearest, false)]
    [InlineData(Rounding.Stochastic, false)]
    [InlineData(Rounding.Nearest, true)]
    [InlineData(Rounding.Stochastic, true)]
    public void Should_Equal_The_Scalar_Reference_Bit_For_Bit(Rounding rounding, bool torchOpChain)
    {
        var path = torchOpChain ? TrimPath.Chain : TrimPath.Fused;
        var x = Generate(new Random(1234));
        const ulong seed = 0xC0FFEE;
        var y = Run(x, rounding, seed, path);
        for (long i = 0; i < x.Length; i++)
        {
            double u = StochasticStream.Uniform(seed, i);
            var expected = (float)Format.Quantize(x[i], rounding, u, ChannelOf(i));
            if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(y[i]))
                Assert.Fail($"{Format} {rounding} {path}: x[{i}] = {x[i]:R} (0x{BitConverter.SingleToInt32Bits(x[i]):X8}), u = {u:R}: expected {expected:R}, got {y[i]:R}");
        }
    }

    [Theory]
    [InlineData(Rounding.Nearest)]
    [InlineData(Rounding.Stochastic)]
    public void Should_Be_Idempotent(Rounding rounding)
    {
        var x = Generate(new Random(99));
        var once = Run(x, rounding, 7, TrimPath.Auto);
        var twice = Run(once, rounding, 8, TrimPath.Auto);
        for (int i = 0; i < once.Length; i++)
            if (BitConverter.SingleToInt32Bits(once[i]) != BitConverter.SingleToInt32Bits(twice[i]))
                Assert.Fail($"{Format}: q(x) = {once[i]:R} but q(q(x)) = {twice[i]:R} (x = {x[i]:R})");
    }

    [Fact]
    public void Should_Keep_Nearest_Error_Within_Bound_Inside_The_Range()
    {
        var x = Generate(new Random(5));
        var y = Run(x, Rounding.Nearest, 0, TrimPath.Auto);
        int checkedCount = 0;
        for (long i = 0; i < x.Length; i++)
        {
            int c = ChannelOf(i);
            var (lo, hi) = Format.ClipRange(c);
            if (!(x[i] >= lo && x[i] <= hi))
                continue;
            checkedCount++;
            if (!WithinNearestBound(x[i], y[i], c))
                Assert.Fail($"{Format}: nearest({x[i]:R}) = {y[i]:R} is outside the error bound");
        }
        Assert.True(checkedCount > Count / 10, $"only {checkedCount} in-range values were checked");
    }

    [Fact]
    public void Should_Be_Unbiased_Under_Stochastic_Rounding()
    {
        foreach (double probe in UnbiasedProbes)
        {
            using var scope = NewDisposeScope();
            var shape = UnbiasedShape;
            var x = Scalars.Full(shape, (float)probe, ScalarType.Float32);
            var y = Format.Trim(x, Rounding.Stochastic, 2024);
            var values = y.data<float>().ToArray();
            double sum = 0;
            long n = 0;
            for (long i = 0; i < values.Length; i++)
            {
                if (ChannelOf(i, shape) != 0)
                    continue;
                sum += values[i] - (double)(float)probe;
                n++;
            }
            double bias = sum / n / StepAt((float)probe, 0);
            Assert.True(n >= Count, $"only {n} draws");
            Assert.True(Math.Abs(bias) < 1e-3, $"{Format}: mean error at {probe} is {bias:E3} steps over {n} draws");
        }
    }

    [Fact]
    public void Should_Reproduce_Stochastic_Bits_For_A_Seed()
    {
        var x = Generate(new Random(3));
        var a = Run(x, Rounding.Stochastic, 42, TrimPath.Auto);
        var b = Run(x, Rounding.Stochastic, 42, TrimPath.Auto);
        var c = Run(x, Rounding.Stochastic, 43, TrimPath.Auto);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Should_Trim_In_Place_Like_Out_Of_Place()
    {
        using var scope = NewDisposeScope();
        var x = tensor(Generate(new Random(11))).reshape(Shape);
        var expected = Format.Trim(x, Rounding.Stochastic, 5).data<float>().ToArray();
        var copy = x.clone();
        var same = Format.Trim_(copy, Rounding.Stochastic, 5);
        Assert.Same(copy, same);
        Assert.Equal(expected, copy.data<float>().ToArray());
    }

    /// <summary>Runs one implementation on <paramref name="x"/> shaped as <see cref="Shape"/>.</summary>
    private float[] Run(float[] x, Rounding rounding, ulong seed, TrimPath path)
    {
        using var scope = NewDisposeScope();
        var t = tensor(x).reshape(Shape);
        return Trimmer.Trim(Format, t, rounding, seed, path).data<float>().ToArray();
    }

    /// <summary>The test data: edges, IEEE specials, random bit patterns, in-range and log-spread values.</summary>
    protected float[] Generate(Random rng)
    {
        int channels = Format.ChannelCount;
        var edges = Enumerable.Range(0, channels).Select(c => EdgeValues(rng, c).Concat(Specials(c)).Select(v => (float)v).ToArray()).ToArray();
        var x = new float[Numel];
        for (long i = 0; i < x.Length; i++)
        {
            int c = ChannelOf(i);
            var (lo, hi) = Format.ClipRange(c);
            double max = Math.Max(Math.Abs(lo), Math.Abs(hi));
            double pick = rng.NextDouble();
            x[i] = pick switch
            {
                < 0.30 => edges[c][rng.Next(edges[c].Length)],
                < 0.40 => BitConverter.Int32BitsToSingle(rng.Next() ^ (rng.Next(2) << 31)),
                < 0.80 => (float)((rng.NextDouble() * 2.5 - 1.25) * max),
                _ => (float)((rng.Next(2) * 2 - 1) * Math.ScaleB(max, -rng.Next(0, 40)) * (1 + rng.NextDouble())),
            };
        }
        return x;
    }

    private IEnumerable<double> Specials(int channel)
    {
        var (lo, hi) = Format.ClipRange(channel);
        double[] basics = [0.0, -0.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity,
            float.Epsilon, -float.Epsilon, 1e-40, -3e-39, 1.17549435e-38, float.MaxValue, float.MinValue, 1e30, -1e-30, lo, hi];
        foreach (var v in basics)
        {
            yield return v;
            yield return MathF.BitIncrement((float)v);
            yield return MathF.BitDecrement((float)v);
        }
    }
}
