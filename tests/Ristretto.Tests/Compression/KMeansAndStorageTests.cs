using Ristretto.Compression;
using Ristretto.Hardware;

namespace Ristretto.Tests.Compression;

public class KMeansAndStorageTests
{
    [Fact]
    public void KMeans_Finds_Two_Separate_Groups_From_A_Linear_Start()
    {
        float[] values = [-1.0f, -1.1f, -0.9f, 2.0f, 2.2f, 1.8f];
        var (centroids, assignment) = KMeans1D.Cluster(values, 2);
        Assert.Equal(-1.0, centroids[0], 5);
        Assert.Equal(2.0, centroids[1], 5);
        Assert.Equal([0, 0, 0, 1, 1, 1], assignment);
    }

    [Fact]
    public void Huffman_Bits_Are_The_Sum_Of_The_Merged_Weights()
    {
        // Counts 1, 1, 2: codes of 2, 2 and 1 bits → 1·2 + 1·2 + 2·1 = 6.
        Assert.Equal(6, WeightStorage.HuffmanBits([1, 1, 2]));
        Assert.Equal(5, WeightStorage.HuffmanBits([5]));
    }

    [Fact]
    public void Storage_Takes_The_Smaller_Of_Bitmap_And_Csr_And_Counts_Fillers()
    {
        // 2 kept of 1,000 weights: relative indices are far cheaper than a 1,000-bit bitmap.
        var sparse = WeightStorage.Compute("l", 1000, [3, 900], null, 0, 8, 0, 32);
        Assert.StartsWith("csr", sparse.PositionScheme);
        Assert.True(sparse.PositionBits < 1000);
        Assert.Equal(16, sparse.CodeBits);
        // Every other weight kept: 1-bit relative indices (all gaps 1 or 0) beat the 1,000-bit bitmap.
        var half = WeightStorage.Compute("l", 1000, Enumerable.Range(0, 500).Select(i => 2L * i).ToList(), null, 0, 8, 0, 32);
        Assert.Equal("csr w=1", half.PositionScheme);
        Assert.Equal(500, half.PositionBits);
        // Gaps of 0 and 2 alternating at w = 1 need a filler entry (1 + 8 bits) per gap of 2: never worse than the bitmap.
        var alternating = WeightStorage.Compute("l", 1000, Enumerable.Range(0, 1000).Where(i => i % 4 < 2).Select(i => (long)i).ToList(), null, 0, 8, 0, 32);
        Assert.InRange(alternating.PositionBits, 1, 1000);
        // Unpruned: no positions at all.
        Assert.Equal(0, WeightStorage.Compute("l", 10, null, null, 0, 8, 2, 32).PositionBits);
    }

    [Fact]
    public void Shared_Codes_Use_The_Codebooks_Index_Bits_And_Its_Entries()
    {
        var codes = Enumerable.Range(0, 64).Select(i => i % 16).ToList();
        var s = WeightStorage.Compute("l", 64, null, codes, 16, 8, 0, 32);
        Assert.Equal(4, s.IndexBits);
        Assert.Equal(64 * 4, s.CodeBits); // uniform codes: Huffman plus its table is no smaller
        Assert.False(s.CodesHuffman);
        Assert.Equal(16 * 8, s.CodebookBits);
        Assert.Equal(64 * 4 + 16 * 8, s.TotalBits);
    }
}
