using Ristretto.Hardware;

namespace Ristretto.Reports;

/// <summary>What a report assumes and includes.</summary>
public sealed record ReportOptions
{
    /// <summary>The accelerator model (buffer, DRAM estimate, batch, array, offsets, roofline platform).</summary>
    public AcceleratorOptions Accelerator { get; init; } = AcceleratorOptions.Default;

    /// <summary>Cost weighted layers a plan does not list as float32 instead of refusing the plan.</summary>
    public bool AllowFloatLayers { get; init; }

    /// <summary>Where the model came from (shown in the report).</summary>
    public string ModelSource { get; init; } = "";

    /// <summary>Bins of each weight histogram.</summary>
    public int HistogramBins { get; init; } = 80;

    /// <summary>The defaults.</summary>
    public static ReportOptions Default { get; } = new();
}
