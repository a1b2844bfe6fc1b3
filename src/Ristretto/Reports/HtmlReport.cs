using System.Net;
using System.Text;

namespace Ristretto.Reports;

/// <summary>The report as one self-contained HTML file: inline CSS, figures embedded as base64 PNG, no scripts, no links out.</summary>
public static class HtmlReport
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1.5em; max-width: 1600px; color: #222; line-height: 1.4; }
        h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; display: block; overflow-x: auto; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; white-space: nowrap; }
        th { background: #f2f2f2; } td:first-child, th:first-child { text-align: left; }
        tr.pareto td { background: #fff3e0; font-weight: bold; }
        figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
        .row, .histograms { display: flex; flex-wrap: wrap; gap: 1em; } .row figure { width: 760px; } .histograms figure { width: 560px; }
        ul.rules li { margin: 0.3em 0; }
        """;

    /// <summary>The HTML text of <paramref name="data"/> with <paramref name="figures"/> embedded.</summary>
    public static string Render(ReportData data, ReportFigures figures)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(figures);
        var s = new StringBuilder();
        s.AppendLine("<!DOCTYPE html>").AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        s.Append("<title>").Append(E(ReportText.Title(data))).AppendLine("</title>");
        s.Append("<style>").Append(Style).AppendLine("</style></head><body>");
        s.Append("<h1>").Append(E(ReportText.Title(data))).AppendLine("</h1>");
        s.Append("<p>").Append(E(ReportText.Intro(data))).AppendLine("</p>");
        s.AppendLine("<p>Sources:</p><ul>");
        foreach (var source in data.Sources)
            s.Append("<li>").Append(E(source)).AppendLine("</li>");
        s.AppendLine("</ul>");
        s.AppendLine("<h2 id=\"totals\">Totals against float32</h2>");
        Table(s, ReportTables.Totals(data));
        s.Append("<p>").Append(E(ReportText.TotalsNote)).AppendLine(" Highlighted rows: the Pareto front of accuracy against energy.</p>");
        s.AppendLine("<h2 id=\"energy-accuracy\">Accuracy vs energy and roofline</h2><div class=\"row\">");
        Figure(s, figures.EnergyAccuracy);
        Figure(s, figures.Roofline);
        s.AppendLine("</div>");
        s.Append("<p>").Append(E(ReportText.AccuracyNote(data))).AppendLine("</p><ul>");
        foreach (var line in ReportText.RooflineSummary(data))
            s.Append("<li>").Append(E(line)).AppendLine("</li>");
        s.AppendLine("</ul>");
        s.AppendLine("<h2 id=\"bits\">Bit widths per layer</h2><div class=\"row\">");
        Figure(s, figures.WeightBits);
        Figure(s, figures.ActivationBits);
        s.AppendLine("</div>");
        foreach (var plan in data.Plans)
        {
            s.Append("<h2>Per layer: ").Append(E(ReportText.PlanHeading(plan))).AppendLine("</h2>");
            s.Append("<p>").Append(E(ReportText.PlanNote(plan))).AppendLine("</p>");
            Table(s, ReportTables.Layers(plan, data.Accelerator.Platform));
            if (ReportTables.ActivationUnits(plan) is { } units)
            {
                s.AppendLine("<p>Approximated activation units (energy per image, not in the totals above):</p>");
                Table(s, units);
            }
        }
        s.AppendLine("<h2 id=\"histograms\">Weight histograms and format grids</h2><div class=\"histograms\">");
        foreach (var chart in figures.Histograms)
            Figure(s, chart);
        s.AppendLine("</div>");
        s.AppendLine("<h2 id=\"rules\">How the numbers are made</h2><ul class=\"rules\">");
        foreach (var rule in data.Rules)
            s.Append("<li>").Append(E(rule)).AppendLine("</li>");
        s.AppendLine("</ul></body></html>");
        return s.ToString();
    }

    private static void Figure(StringBuilder s, Chart chart) =>
        s.Append("<figure><img alt=\"").Append(E(chart.Caption)).Append("\" src=\"data:image/png;base64,")
         .Append(Convert.ToBase64String(chart.Png)).Append("\"><figcaption>").Append(E(chart.Caption)).AppendLine("</figcaption></figure>");

    private static void Table(StringBuilder s, ReportTable table)
    {
        s.Append("<table><thead><tr>");
        foreach (var h in table.Header)
            s.Append("<th>").Append(E(h)).Append("</th>");
        s.AppendLine("</tr></thead><tbody>");
        for (int i = 0; i < table.Rows.Count; i++)
        {
            s.Append(table.IsHighlighted(i) ? "<tr class=\"pareto\">" : "<tr>");
            foreach (var c in table.Rows[i])
                s.Append("<td>").Append(E(c)).Append("</td>");
            s.AppendLine("</tr>");
        }
        s.AppendLine("</tbody></table>");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
