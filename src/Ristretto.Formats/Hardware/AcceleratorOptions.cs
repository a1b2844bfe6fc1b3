namespace Ristretto.Hardware;

/// <summary>
/// The accelerator the cost model assumes: buffer size (picks the SRAM row and the spill capacity), DRAM
/// estimate, batch size (weights fetched from DRAM once per batch), the MAC array (rows × columns), how zero
/// points are implemented and the roofline platform. Validated when built.
/// </summary>
public sealed record AcceleratorOptions
{
    private readonly int _batch = 1, _rows = 16, _columns = 16;
    private readonly RooflinePlatform _platform = RooflinePlatform.JetsonNano;

    /// <summary>The on-chip buffer (default 32 KB).</summary>
    public SramSize Sram { get; init; } = SramSize.Kb32;

    /// <summary>Low or high end of the DRAM range (default low, 1,300 pJ per 32 bits).</summary>
    public DramEstimate Dram { get; init; } = DramEstimate.Low;

    /// <summary>Images per batch: DRAM weight traffic is divided by it (default 1).</summary>
    public int Batch
    {
        get => _batch;
        init => _batch = value >= 1 ? value : throw new RistrettoException($"batch must be ≥ 1, got {value}");
    }

    /// <summary>MAC array rows (default 16).</summary>
    public int ArrayRows
    {
        get => _rows;
        init => _rows = value >= 1 ? value : throw new RistrettoException($"array rows must be ≥ 1, got {value}");
    }

    /// <summary>MAC array columns: outputs produced in parallel (default 16).</summary>
    public int ArrayColumns
    {
        get => _columns;
        init => _columns = value >= 1 ? value : throw new RistrettoException($"array columns must be ≥ 1, got {value}");
    }

    /// <summary>How zero points are applied (default: cross terms outside the array).</summary>
    public OffsetImplementation Offsets { get; init; } = OffsetImplementation.CrossTerms;

    /// <summary>The roofline platform (default <see cref="RooflinePlatform.JetsonNano"/>).</summary>
    public RooflinePlatform Platform
    {
        get => _platform;
        init => _platform = (value ?? throw new ArgumentNullException(nameof(value))).Validated();
    }

    /// <summary>The defaults.</summary>
    public static AcceleratorOptions Default { get; } = new();

    /// <summary>One line describing the options, for reports.</summary>
    public string Describe() =>
        $"{ArrayRows}×{ArrayColumns} MAC array, {Sram.Label()} SRAM buffer, DRAM {(Dram == DramEstimate.Low ? "low" : "high")} estimate, batch {Batch}, " +
        $"offsets {(Offsets == OffsetImplementation.CrossTerms ? "as cross terms" : "per MAC")}";
}
