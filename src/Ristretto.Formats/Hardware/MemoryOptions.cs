namespace Ristretto.Hardware;

/// <summary>On-chip buffer size: picks the SRAM row of the op table (and the capacity that decides spills).</summary>
public enum SramSize
{
    /// <summary>8 KB SRAM (5 pJ per 32-bit read in Horowitz's table).</summary>
    Kb8,

    /// <summary>32 KB SRAM (10 pJ per 32-bit read).</summary>
    Kb32,

    /// <summary>1 MB SRAM (20 pJ per 32-bit read).</summary>
    Mb1,
}

/// <summary>Which end of the source's DRAM range (1,300–2,600 pJ per 32-bit read) to use.</summary>
public enum DramEstimate
{
    /// <summary>The lower end (1,300 pJ per 32 bits): the conservative choice for savings from memory traffic.</summary>
    Low,

    /// <summary>The upper end (2,600 pJ per 32 bits).</summary>
    High,
}

/// <summary>How zero points (offsets) are applied in the datapath.</summary>
public enum OffsetImplementation
{
    /// <summary>
    /// As cross terms outside the MAC array: <c>z_a·Σw</c> per output channel, <c>z_w·Σa</c> from a running sum
    /// of activations and a multiplier per output, <c>z_w·z_a·K</c> as a constant (hardware-cost.md's list).
    /// </summary>
    CrossTerms,

    /// <summary>Inside every MAC: subtract the zero point before the multiplier (an adder per operand, one bit wider multiplier).</summary>
    PerMac,
}

/// <summary>Names and capacities of <see cref="SramSize"/>.</summary>
public static class SramSizes
{
    /// <summary>Capacity in bits.</summary>
    public static long CapacityBits(this SramSize size) => size switch
    {
        SramSize.Kb8 => 8L * 1024 * 8,
        SramSize.Kb32 => 32L * 1024 * 8,
        _ => 1024L * 1024 * 8,
    };

    /// <summary>The op-table row name of a 32-bit read.</summary>
    public static string Operation(this SramSize size) => size switch
    {
        SramSize.Kb8 => "sram_read_8kb",
        SramSize.Kb32 => "sram_read_32kb",
        _ => "sram_read_1mb",
    };

    /// <summary>"8KB", "32KB", "1MB".</summary>
    public static string Label(this SramSize size) => size switch
    {
        SramSize.Kb8 => "8KB",
        SramSize.Kb32 => "32KB",
        _ => "1MB",
    };

    /// <summary>Parses "8KB", "32KB" or "1MB" (case-insensitive); anything else is a <see cref="RistrettoException"/>.</summary>
    public static SramSize Parse(string text) => text.Trim().ToUpperInvariant() switch
    {
        "8KB" or "8K" => SramSize.Kb8,
        "32KB" or "32K" => SramSize.Kb32,
        "1MB" or "1M" or "1024KB" => SramSize.Mb1,
        _ => throw new RistrettoException($"SRAM size '{text}': expected 8KB, 32KB or 1MB (the sizes Horowitz's table lists)"),
    };
}
