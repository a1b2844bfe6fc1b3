using Ristretto.Graph;

namespace Ristretto.Reports;

/// <summary>
/// The library entry point of hardware cost reports (what <c>ristretto report</c> and <c>quantize --report</c>
/// call): costs the float32 baseline and every plan on a network (Horowitz ISSCC 2014 op table, hardware-cost.md
/// scheme overheads, roofline), draws the charts, and writes <c>report.md</c>, a self-contained
/// <c>report.html</c>, <c>report.json</c> and <c>figures/*.png|svg</c> into a folder, all at once.
/// </summary>
public static class ReportWriter
{
    /// <summary>File names inside the report folder.</summary>
    public const string MarkdownFile = "report.md", HtmlFile = "report.html", JsonFile = "report.json", FiguresFolder = "figures";

    /// <summary>
    /// Writes the report of <paramref name="plans"/> on <paramref name="network"/> into <paramref name="outDir"/>
    /// (replacing it). Every plan is checked against the network before anything is written; a problem is a
    /// <see cref="RistrettoException"/> and leaves no output.
    /// </summary>
    /// <param name="network">The float network (its weights feed the histograms).</param>
    /// <param name="plans">The plans, in the order to show them (the float32 baseline is added first).</param>
    /// <param name="options">Accelerator and report options (default: <see cref="ReportOptions.Default"/>).</param>
    /// <param name="outDir">The report folder.</param>
    /// <param name="baselineAccuracy">The float32 network's accuracy, when known.</param>
    /// <param name="compression">The storage and energy of a compressed model, written as compression.md; null for none.</param>
    public static ReportResult Write(Network network, IReadOnlyList<ReportPlan> plans, ReportOptions? options, string outDir,
        PlanAccuracy? baselineAccuracy = null, Hardware.CompressionCost? compression = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plans);
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        options ??= ReportOptions.Default;
        var data = ReportData.Compute(network, plans, options, baselineAccuracy);
        var figures = ReportFigures.Draw(network, data, options.HistogramBins);
        var files = new List<string>();
        ReportFolder.Write(outDir, dir =>
        {
            Directory.CreateDirectory(Path.Combine(dir, FiguresFolder));
            foreach (var chart in figures.All)
            {
                ReportFolder.WriteBytes(Path.Combine(dir, FiguresFolder, chart.Name + ".png"), chart.Png);
                IO.AtomicFile.WriteText(Path.Combine(dir, FiguresFolder, chart.Name + ".svg"), chart.Svg);
                files.Add($"{FiguresFolder}/{chart.Name}.png");
                files.Add($"{FiguresFolder}/{chart.Name}.svg");
            }
            IO.AtomicFile.WriteText(Path.Combine(dir, MarkdownFile), MarkdownReport.Render(data, figures));
            IO.AtomicFile.WriteText(Path.Combine(dir, HtmlFile), HtmlReport.Render(data, figures));
            IO.AtomicFile.WriteText(Path.Combine(dir, JsonFile), ReportJson.Serialize(data, compression));
            files.AddRange([MarkdownFile, HtmlFile, JsonFile]);
            if (compression is not null)
            {
                IO.AtomicFile.WriteText(Path.Combine(dir, CompressionReport.MarkdownFile), CompressionReport.Render(compression));
                files.Add(CompressionReport.MarkdownFile);
            }
        });
        return new ReportResult(Path.GetFullPath(outDir), data, files) { Compression = compression };
    }
}
