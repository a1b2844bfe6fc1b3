using System.Numerics;
using Ristretto.Deploy;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Deploy;

/// <summary>The requantizer's 64-bit SIMD lanes give the codes of its scalar 128-bit reference form, and of exact arithmetic.</summary>
public sealed class RequantizerTests
{
    [Theory]
    [InlineData(62)]
    [InlineData(31)]
    public void Should_Give_The_Codes_Of_The_128_Bit_Reference_And_Of_Exact_Arithmetic(int bits)
    {
        using var scope = NewDisposeScope();
        const int channels = 7;
        var multipliers = new FixedPointMultiplier[channels];
        var offsets = new Int128[channels];
        var rationals = new Rational[channels];
        for (int c = 0; c < channels; c++)
        {
            // Channel 0: a shift (DFP), 1: a shift with a bias on a finer grid, others: float scales and float biases.
            var (num, den) = c switch
            {
                0 => (BigInteger.One, new BigInteger(512)),
                1 => (BigInteger.One, new BigInteger(64)),
                _ => FixedPointMultiplier.Rational(0.0123f * (0.9f + 0.07f * c) * 0.0071f / 0.031f),
            };
            var (bNum, bDen) = c switch
            {
                0 => (BigInteger.Zero, BigInteger.One),
                1 => (new BigInteger(3), new BigInteger(1024)),
                _ => FixedPointMultiplier.Rational(0.37f * (c - 3.5f)),
            };
            multipliers[c] = FixedPointMultiplier.Of(num, den, bits);
            var (offset, exact) = multipliers[c].OffsetOf(bNum, bDen);
            offsets[c] = offset;
            rationals[c] = new Rational(num, den, bNum, bDen, !exact);
        }
        var requantizer = new Requantizer(multipliers, offsets, 3, -120, 250, bits == 62 ? rationals : null, accumulatorBits: 20);
        // Small values (ties of the shifts: 256 + 512k), values around the lanes' sizing (2^20) and far beyond it (2^40).
        using var gen = new Generator(3);
        var acc = cat([
            tensor(Enumerable.Range(-4096, 8192).Select(i => (long)i).ToArray()).reshape(1, 1, -1).expand(2, channels, -1),
            randint(-(1L << 21), 1L << 21, [2, channels, 4096], generator: gen),
            randint(-(1L << 40), 1L << 40, [2, channels, 64], generator: gen),
        ], 2).to(ScalarType.Float64).contiguous();
        var lanes = requantizer.Apply(acc);
        var reference = requantizer.ApplyReference(acc);
        Assert.Equal(0L, lanes.ne(reference).sum().item<long>());
        if (bits != 62)
            return;
        // With settling the codes are the exact rounding of acc · M + B.
        var a = acc.to(ScalarType.Int64).data<long>().ToArray();
        var q = lanes.data<float>().ToArray();
        long inner = acc.shape[2];
        for (int i = 0; i < a.Length; i += 37)
        {
            int c = (int)(i / inner % channels);
            var exact = rationals[c].RoundHalfEven(a[i]) + 3;
            Assert.Equal((float)(long)BigInteger.Clamp(exact, -120, 250), q[i]);
        }
    }
}
