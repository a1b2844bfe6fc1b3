using System.Text;

namespace Ristretto.Reports;

/// <summary>The report as Markdown, with figures referenced from <c>figures/</c>.</summary>
public static class MarkdownReport
{
    /// <summary>The Markdown text of <paramref name="data"/> with <paramref name="figures"/>.</summary>
    public static string Render(ReportData data, ReportFigures figures)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(figures);
        var s = new StringBuilder();
        s.Append("# ").AppendLine(ReportText.Title(data)).AppendLine();
        s.AppendLine(ReportText.Intro(data)).AppendLine();
        s.AppendLine("Sources:").AppendLine();
        foreach (var source in data.Sources)
            s.Append("- ").AppendLine(source);
        s.AppendLine().AppendLine("## Totals against float32").AppendLine();
        Table(s, ReportTables.Totals(data));
        s.AppendLine().Append(ReportText.TotalsNote).AppendLine(" Pareto-front plans are in bold.").AppendLine();
        s.AppendLine("## Accuracy vs energy").AppendLine();
        Figure(s, figures.EnergyAccuracy);
        s.AppendLine(ReportText.AccuracyNote(data)).AppendLine();
        s.AppendLine("## Bit widths per layer").AppendLine();
        Figure(s, figures.WeightBits);
        Figure(s, figures.ActivationBits);
        s.AppendLine("## Roofline").AppendLine();
        Figure(s, figures.Roofline);
        foreach (var line in ReportText.RooflineSummary(data))
            s.Append("- ").AppendLine(line);
        foreach (var plan in data.Plans)
        {
            s.AppendLine().Append("## Per layer: ").AppendLine(ReportText.PlanHeading(plan)).AppendLine();
            s.AppendLine(ReportText.PlanNote(plan)).AppendLine();
            Table(s, ReportTables.Layers(plan, data.Accelerator.Platform));
            if (ReportTables.ActivationUnits(plan) is { } units)
            {
                s.AppendLine().AppendLine("Approximated activation units (energy per image, not in the totals above):").AppendLine();
                Table(s, units);
            }
        }
        s.AppendLine().AppendLine("## Weight histograms and format grids").AppendLine();
        foreach (var chart in figures.Histograms)
            Figure(s, chart);
        s.AppendLine("## How the numbers are made").AppendLine();
        foreach (var rule in data.Rules)
            s.Append("- ").AppendLine(rule);
        return s.ToString();
    }

    private static void Figure(StringBuilder s, Chart chart) =>
        s.Append("![").Append(Escape(chart.Caption)).Append("](figures/").Append(chart.Name).AppendLine(".png)").AppendLine()
         .Append('*').Append(Escape(chart.Caption)).Append("* ([SVG](figures/").Append(chart.Name).AppendLine(".svg))").AppendLine();

    private static void Table(StringBuilder s, ReportTable table)
    {
        s.Append("| ").AppendJoin(" | ", table.Header.Select(Escape)).AppendLine(" |");
        s.Append('|').AppendJoin("|", table.Header.Select(_ => "---")).AppendLine("|");
        for (int i = 0; i < table.Rows.Count; i++)
        {
            var cells = table.Rows[i].Select(Escape);
            if (table.IsHighlighted(i))
                cells = cells.Select(c => c.Length > 0 ? $"**{c}**" : c);
            s.Append("| ").AppendJoin(" | ", cells).AppendLine(" |");
        }
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal);
}
