namespace Ristretto.Reports;

/// <summary>What <see cref="ReportWriter.Write"/> produced.</summary>
/// <param name="Folder">The report folder.</param>
/// <param name="Data">The numbers reported.</param>
/// <param name="Files">Paths of the files written, relative to <paramref name="Folder"/>.</param>
public sealed record ReportResult(string Folder, ReportData Data, IReadOnlyList<string> Files)
{
    /// <summary>The storage and energy of a compressed model, technique by technique (null when the model is not compressed).</summary>
    public Hardware.CompressionCost? Compression { get; init; }

    /// <summary>The Markdown report.</summary>
    public string Markdown => Path.Combine(Folder, ReportWriter.MarkdownFile);

    /// <summary>The self-contained HTML report.</summary>
    public string Html => Path.Combine(Folder, ReportWriter.HtmlFile);

    /// <summary>The JSON numbers.</summary>
    public string Json => Path.Combine(Folder, ReportWriter.JsonFile);

    /// <summary>The JSON document of the report (what <see cref="Json"/> holds and the CLI's <c>--json</c> copies).</summary>
    public string ToJson() => ReportJson.Serialize(Data, Compression);
}
