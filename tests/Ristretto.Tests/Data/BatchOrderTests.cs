using Ristretto.Data;
using Ristretto.Engine;

namespace Ristretto.Tests.Data;

public class BatchOrderTests
{
    [Fact]
    public void Should_Give_The_Same_Batches_For_The_Same_Seed_Whatever_Was_Asked_Before()
    {
        var sequential = new BatchOrder(1000, seed: 5);
        for (int t = 0; t < 40; t++)
            sequential.Batch(t, 64);
        var direct = new BatchOrder(1000, seed: 5);
        Assert.Equal(sequential.Batch(40, 64), direct.Batch(40, 64));
        Assert.NotEqual(new BatchOrder(1000, seed: 6).Batch(40, 64), direct.Batch(40, 64));
    }

    [Fact]
    public void Should_Visit_Every_Sample_Once_Per_Epoch()
    {
        var order = new BatchOrder(100, seed: 3);
        var epoch = Enumerable.Range(0, 10).SelectMany(t => order.Batch(t, 10)).ToArray();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), epoch.Order());
        Assert.NotEqual(Enumerable.Range(0, 100).Select(i => (long)i), epoch); // shuffled
        var next = Enumerable.Range(10, 10).SelectMany(t => order.Batch(t, 10)).ToArray();
        Assert.NotEqual(epoch, next); // a fresh permutation each epoch
    }

    [Fact]
    public void Should_Keep_File_Order_Without_Shuffle()
    {
        var order = new BatchOrder(7, seed: 3, shuffle: false);
        Assert.Equal(new long[] { 0, 1, 2, 3 }, order.Batch(0, 4));
        Assert.Equal(new long[] { 4, 5, 6, 0 }, order.Batch(1, 4)); // wraps into the next epoch
    }

    [Fact]
    public void Should_Reproduce_The_Published_SplitMix64_Stream()
    {
        var rng = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.NextUInt64());
    }
}
