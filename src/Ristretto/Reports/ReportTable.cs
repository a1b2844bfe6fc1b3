namespace Ristretto.Reports;

/// <summary>A table of text cells (header and rows), rendered by the Markdown, HTML and terminal writers alike.</summary>
/// <param name="Header">Column titles.</param>
/// <param name="Rows">Cells, one array per row, as many as the header.</param>
/// <param name="Highlight">Rows to emphasise (e.g. the Pareto front), by index.</param>
public sealed record ReportTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows, IReadOnlySet<int>? Highlight = null)
{
    /// <summary>Whether row <paramref name="i"/> is emphasised.</summary>
    public bool IsHighlighted(int i) => Highlight?.Contains(i) == true;
}
