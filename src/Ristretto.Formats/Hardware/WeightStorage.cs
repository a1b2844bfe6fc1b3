namespace Ristretto.Hardware;

/// <summary>
/// The stored size of one layer's compressed weights, by one formula (docs/compression.md):
/// <code>
/// bits = codes + codebook + positions + biases
///   codes     = min(nnz × b, Huffman(codes) + table)          b: index bits (shared) or the weight format's width
///   codebook  = entries × entry bits                           (0 when not shared)
///   positions = min over w of CSR(w) (relative indices, Deep Compression: a gap above 2^w − 1 takes filler entries
///               of w + b bits each), Huffman(CSR gaps) + table, or a bitmap of n bits   (0 when nothing is pruned)
///   biases    = biases × bias bits                             (dense)
/// </code>
/// Huffman tables are canonical: one 5-bit code length per symbol of the alphabet (2^b codes, 2^w gaps).
/// </summary>
public sealed record WeightStorage
{
    /// <summary>Layer name.</summary>
    public required string Name { get; init; }

    /// <summary>Weights in the layer (n).</summary>
    public required long Weights { get; init; }

    /// <summary>Non-zero (kept) weights (nnz).</summary>
    public required long NonZero { get; init; }

    /// <summary>Bits of one stored code (b).</summary>
    public required int IndexBits { get; init; }

    /// <summary>Codebook entries (0 when not shared).</summary>
    public required int CodebookEntries { get; init; }

    /// <summary>Bits of one codebook entry.</summary>
    public required int EntryBits { get; init; }

    /// <summary>Bits of the codes: the smaller of fixed width and Huffman-coded (with its table).</summary>
    public required long CodeBits { get; init; }

    /// <summary>Whether the codes are Huffman-coded.</summary>
    public required bool CodesHuffman { get; init; }

    /// <summary>Bits of the codebook.</summary>
    public long CodebookBits => (long)CodebookEntries * EntryBits;

    /// <summary>Bits of the sparse positions.</summary>
    public required long PositionBits { get; init; }

    /// <summary>How positions are stored: "none", "bitmap", "csr w=W" or "csr w=W huffman".</summary>
    public required string PositionScheme { get; init; }

    /// <summary>Bits of the (dense) biases.</summary>
    public required long BiasBits { get; init; }

    /// <summary>Biases in the layer.</summary>
    public required long Biases { get; init; }

    /// <summary>Total stored bits.</summary>
    public long TotalBits => CodeBits + CodebookBits + PositionBits + BiasBits;

    /// <summary>The same parameters as dense float32.</summary>
    public long Float32Bits => (Weights + Biases) * 32;

    /// <summary>Fraction of weights kept.</summary>
    public double Density => Weights == 0 ? 0 : (double)NonZero / Weights;

    /// <summary>
    /// Sizes a layer. <paramref name="positions"/>: the flat indices of the kept weights, ascending, or null when
    /// nothing is pruned; <paramref name="codes"/>: the codebook index of each kept weight (in the same order), or null
    /// when not shared; <paramref name="valueBits"/>: the width of a stored weight (unshared) or of a codebook entry.
    /// </summary>
    public static WeightStorage Compute(string name, long weights, IReadOnlyList<long>? positions, IReadOnlyList<int>? codes, int codebookEntries,
        int valueBits, long biases, int biasBits)
    {
        ArgumentNullException.ThrowIfNull(name);
        long nnz = positions?.Count ?? weights;
        bool shared = codes is not null;
        int b = shared ? Math.Max(1, CeilLog2(codebookEntries)) : valueBits;
        long codeBits = nnz * b;
        bool codesHuffman = false;
        if (shared)
        {
            long huffman = HuffmanBits(Histogram(codes!, 1 << b)) + TableBits(1 << b);
            if (huffman < codeBits)
                (codeBits, codesHuffman) = (huffman, true);
        }
        long positionBits = 0;
        string scheme = "none";
        if (positions is not null)
        {
            (positionBits, scheme) = (weights, "bitmap");
            for (int w = 1; w <= 16; w++)
            {
                var gaps = Gaps(positions, w, out long fillers);
                long csr = (nnz + fillers) * w + fillers * b;
                if (csr < positionBits)
                    (positionBits, scheme) = (csr, $"csr w={w}");
                long huffman = HuffmanBits(gaps) + TableBits(1 << w) + fillers * b;
                if (huffman < positionBits)
                    (positionBits, scheme) = (huffman, $"csr w={w} huffman");
            }
        }
        return new WeightStorage
        {
            Name = name, Weights = weights, NonZero = nnz, IndexBits = b, CodebookEntries = shared ? codebookEntries : 0, EntryBits = shared ? valueBits : 0,
            CodeBits = codeBits, CodesHuffman = codesHuffman, PositionBits = positionBits, PositionScheme = scheme,
            Biases = biases, BiasBits = biases * biasBits,
        };
    }

    /// <summary>Bits of a canonical Huffman table for an alphabet of <paramref name="symbols"/>: 5 bits of code length each.</summary>
    public static long TableBits(int symbols) => 5L * symbols;

    /// <summary>Bits of the Huffman-coded stream with these symbol counts (one symbol: 1 bit each).</summary>
    public static long HuffmanBits(IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var queue = new PriorityQueue<long, long>();
        foreach (var c in counts)
            if (c > 0)
                queue.Enqueue(c, c);
        if (queue.Count == 0)
            return 0;
        if (queue.Count == 1)
            return queue.Dequeue();
        // The coded length is the sum of the weights of every merged node.
        long total = 0;
        while (queue.Count > 1)
        {
            long a = queue.Dequeue(), c = queue.Dequeue();
            total += a + c;
            queue.Enqueue(a + c, a + c);
        }
        return total;
    }

    private static long[] Histogram(IReadOnlyList<int> codes, int symbols)
    {
        var h = new long[symbols];
        foreach (var c in codes)
            h[c]++;
        return h;
    }

    /// <summary>The histogram of relative-index symbols with width <paramref name="w"/>, and the filler entries needed.</summary>
    private static long[] Gaps(IReadOnlyList<long> positions, int w, out long fillers)
    {
        long span = 1L << w;
        var h = new long[span];
        fillers = 0;
        long previous = -1;
        foreach (var p in positions)
        {
            long gap = p - previous - 1;
            long extra = gap / span;          // each filler entry advances span positions (gap symbol span − 1 plus itself)
            fillers += extra;
            h[span - 1] += extra;
            h[gap - extra * span]++;
            previous = p;
        }
        return h;
    }

    private static int CeilLog2(long v)
    {
        int bits = 0;
        while ((1L << bits) < v)
            bits++;
        return bits;
    }
}
