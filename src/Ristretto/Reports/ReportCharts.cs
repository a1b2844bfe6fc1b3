using System.Globalization;
using Ristretto.Formats;
using ScottPlot;

namespace Ristretto.Reports;

/// <summary>The report's charts, drawn with ScottPlot (PNG and SVG).</summary>
public static class ReportCharts
{
    private const int Width = 760, Height = 420;
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Colour of plan <paramref name="index"/> (the float32 baseline is 0).</summary>
    public static Color PlanColor(int index) => new ScottPlot.Palettes.Category10().GetColor(index);

    /// <summary>Top-1 against energy per inference for every plan with an accuracy; the Pareto front highlighted.</summary>
    public static Chart EnergyAccuracy(ReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var plot = NewPlot("Accuracy vs energy per inference", "energy per inference (µJ)", "top-1 (%)");
        var scored = data.Plans.Select((p, i) => (p, i)).Where(x => x.p.Plan.Accuracy is not null).ToList();
        foreach (var (p, i) in scored)
        {
            double x = p.Cost.Energy.Total / 1e6, y = 100 * p.Plan.Accuracy!.Top1;
            var marker = plot.Add.Marker(x, y, p.OnParetoFront ? MarkerShape.FilledCircle : MarkerShape.OpenCircle, p.OnParetoFront ? 12 : 9, PlanColor(i));
            marker.LegendText = p.Plan.Name + (p.OnParetoFront ? " (Pareto)" : "");
            var label = plot.Add.Text(p.Plan.Name, x, y);
            label.LabelFontSize = 12;
            label.LabelOffsetX = 8;
            label.LabelOffsetY = -8;
        }
        var front = scored.Where(x => x.p.OnParetoFront).OrderBy(x => x.p.Cost.Energy.Total).ToList();
        if (front.Count > 1)
        {
            var line = plot.Add.ScatterLine(front.Select(x => x.p.Cost.Energy.Total / 1e6).ToArray(), front.Select(x => 100 * x.p.Plan.Accuracy!.Top1).ToArray());
            line.Color = Colors.Red.WithAlpha(0.6);
            line.LineWidth = 2;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = "Pareto front";
        }
        if (scored.Count == 0)
            plot.Add.Annotation("no plan has an accuracy: give plans with \"accuracy\" or --data");
        plot.ShowLegend(Alignment.LowerRight);
        plot.Axes.Margins(0.25, 0.2); // room for the labels right of the points
        return Render(plot, "energy-accuracy", "Top-1 accuracy against energy per inference; filled markers and the dashed line: the Pareto front.");
    }

    /// <summary>Per-layer bit widths of one part ("weights" or "activations") for every plan, as grouped bars.</summary>
    public static Chart BitWidths(ReportData data, bool weights)
    {
        ArgumentNullException.ThrowIfNull(data);
        string part = weights ? "weight" : "input activation";
        var plot = NewPlot($"{char.ToUpperInvariant(part[0])}{part[1..]} bits per layer", "layer", "bits");
        var layers = data.Baseline.Cost.Layers.Select(l => l.Name).ToList();
        int n = data.Plans.Count;
        double groupWidth = 0.8, barWidth = groupWidth / n;
        for (int i = 0; i < n; i++)
        {
            var plan = data.Plans[i];
            var bars = plan.Cost.Layers.Select((l, k) => new Bar
            {
                Position = k - groupWidth / 2 + (i + 0.5) * barWidth,
                Value = weights ? l.Scheme.WeightBits : l.Scheme.InputBits,
                Size = barWidth * 0.95,
                FillColor = PlanColor(i),
            }).ToList();
            var series = plot.Add.Bars(bars);
            series.LegendText = plan.Plan.Name;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, layers.Count).Select(k => (double)k).ToArray(), layers.ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperRight);
        return Render(plot, weights ? "bits-weights" : "bits-activations", $"{char.ToUpperInvariant(part[0])}{part[1..]} bits of every costed layer, per plan (float32 parts count 32).");
    }

    /// <summary>A layer's weight histogram with the grid of <paramref name="format"/> drawn over it.</summary>
    public static Chart Histogram(string layer, string planName, WeightHistogram histogram, NumberFormat? format, string fileStem)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var plot = NewPlot($"{layer}: weights, {planName}", "weight value", "count");
        var bars = histogram.Counts.Select((c, i) => new Bar
        {
            Position = histogram.Center(i), Value = c, Size = histogram.BinWidth, FillColor = Colors.SteelBlue.WithAlpha(0.8), LineWidth = 0,
        }).ToList();
        plot.Add.Bars(bars);
        string caption = $"{layer}: histogram of the float weights";
        if (format is not null)
        {
            var grid = FormatGrid.Values(format, histogram.Min, histogram.Max, 2048);
            int every = Math.Max(1, (int)Math.Ceiling(grid.Count / 64.0));
            for (int i = 0; i < grid.Count; i += every)
            {
                var line = plot.Add.VerticalLine(grid[i], 1, Colors.OrangeRed.WithAlpha(0.55));
                line.LinePattern = LinePattern.Solid;
            }
            var (lo, hi) = format.ClipRange();
            foreach (var bound in new[] { lo, hi }.Where(b => b >= histogram.Min && b <= histogram.Max))
            {
                var clip = plot.Add.VerticalLine(bound, 2, Colors.DarkRed);
                clip.LinePattern = LinePattern.Dashed;
            }
            caption += string.Create(C, $" with the {format} grid over it ({grid.Count}{(grid.Count > 2048 ? "+" : "")} values in range{(every > 1 ? $", every {every}th drawn" : "")}; dashed: saturation bounds)");
        }
        plot.Axes.Margins(bottom: 0);
        return Render(plot, fileStem, caption + ".", 560, 300);
    }

    /// <summary>The roofline of the platform with every layer of every plan at its operational intensity (log-log).</summary>
    public static Chart Roofline(ReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var platform = data.Accelerator.Platform;
        var plot = NewPlot("Roofline: " + platform.Name, "operational intensity (ops/byte, log)", "attainable ops/s (log)");
        var intensities = data.Plans.SelectMany(p => p.Cost.Layers).Select(l => l.Intensity).Where(double.IsFinite).ToList();
        double lo = Math.Min(platform.Ridge, intensities.DefaultIfEmpty(1).Min()) / 4, hi = Math.Max(platform.Ridge, intensities.DefaultIfEmpty(1).Max()) * 4;
        var xs = new[] { lo, platform.Ridge, hi }.Select(Math.Log10).ToArray();
        var ys = new[] { platform.Attainable(lo), platform.PeakOpsPerSecond, platform.PeakOpsPerSecond }.Select(Math.Log10).ToArray();
        var roof = plot.Add.ScatterLine(xs, ys);
        roof.Color = Colors.Black;
        roof.LineWidth = 2;
        roof.LegendText = string.Create(C, $"roof (ridge {platform.Ridge:0.#} ops/byte)");
        for (int i = 0; i < data.Plans.Count; i++)
        {
            var layers = data.Plans[i].Cost.Layers.Where(l => double.IsFinite(l.Intensity)).ToList();
            var points = plot.Add.ScatterPoints(layers.Select(l => Math.Log10(l.Intensity)).ToArray(),
                layers.Select(l => Math.Log10(platform.Attainable(l.Intensity))).ToArray());
            points.Color = PlanColor(i);
            points.MarkerSize = 8;
            points.LegendText = data.Plans[i].Plan.Name;
        }
        plot.Axes.Bottom.TickGenerator = LogTicks();
        plot.Axes.Left.TickGenerator = LogTicks();
        plot.ShowLegend(Alignment.LowerRight);
        return Render(plot, "roofline", string.Create(C,
            $"Each costed layer of each plan at its operational intensity; left of the ridge ({platform.Ridge:0.#} ops/byte) a layer is memory-bound."));
    }

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = v => Math.Pow(10, v).ToString("0.##E+0", C),
    };

    private static Plot NewPlot(string title, string x, string y)
    {
        var plot = new Plot();
        plot.Title(title, 15);
        plot.XLabel(x, 13);
        plot.YLabel(y, 13);
        return plot;
    }

    private static Chart Render(Plot plot, string name, string caption, int width = Width, int height = Height)
    {
        var png = plot.GetImageBytes(width, height, ImageFormat.Png);
        string svg = plot.GetSvgXml(width, height);
        return new Chart(name, caption, png, svg);
    }
}
