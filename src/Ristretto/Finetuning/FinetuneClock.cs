using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Formats;

namespace Ristretto.Finetuning;

/// <summary>
/// What the trimming layers of a fine-tuning network need to know about the current batch: whether it is a
/// training pass (stochastic rounding, straight-through gradients) and which batch it is, so every stochastic
/// draw has its own seed derived from (run seed, iteration, part, layer, tensor). A resumed run therefore draws
/// exactly what the uninterrupted run drew.
/// </summary>
public sealed class FinetuneClock(ulong seed, Rounding trainingRounding)
{
    /// <summary>The run's seed.</summary>
    public ulong Seed { get; } = seed;

    /// <summary>Rounding used in training passes (Ristretto: stochastic).</summary>
    public Rounding TrainingRounding { get; } = trainingRounding;

    /// <summary>True during a training pass.</summary>
    public bool Training { get; set; }

    /// <summary>0-based iteration of the current batch.</summary>
    public long Iteration { get; set; }

    /// <summary>Part of the current iteration (gradient accumulation).</summary>
    public int Part { get; set; }

    /// <summary>The stochastic-rounding seed of tensor <paramref name="tensor"/> (0 input, 1 weights, 2 bias, 3 output) of layer <paramref name="layer"/>.</summary>
    public ulong SeedFor(int layer, int tensor)
    {
        var mix = new SplitMix64(Seed ^ 0x6A09E667F3BCC909UL);
        ulong a = mix.NextUInt64() ^ (ulong)Iteration;
        mix = new SplitMix64(a);
        ulong b = mix.NextUInt64() ^ ((ulong)(uint)Part << 32 | (uint)(layer * 4 + tensor));
        mix = new SplitMix64(b);
        return mix.NextUInt64();
    }
}
