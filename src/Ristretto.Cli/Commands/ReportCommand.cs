using System.CommandLine;
using System.Globalization;
using Ristretto.Cli.Infrastructure;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Hardware;
using Ristretto.Jobs;
using Ristretto.Quantization;
using Ristretto.Reports;
using Spectre.Console;

namespace Ristretto.Cli.Commands;

/// <summary>
/// <c>ristretto report --model M [--plan P …] --out DIR</c>: the hardware cost of the float32 baseline and each
/// plan (Horowitz ISSCC 2014 op table, hardware-cost.md scheme overheads, roofline) as Markdown, self-contained
/// HTML and JSON with charts, and a short table in the terminal.
/// </summary>
public static class ReportCommand
{
    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model: a .rstm, .onnx or Caffe .prototxt file, or 'lenet' for the embedded default (trained and cached on first use)." };
        var plans = new Option<string[]>("--plan") { Description = "A JSON quantization plan (quantize --plan); repeat for several. An optional top-level \"accuracy\": {\"top1\": x, \"top5\": y} (fractions) places it in the accuracy-vs-energy chart." };
        var outDir = new Option<string>("--out") { Description = "Report folder (written all at once; replaced if it exists): report.md, report.html, report.json, figures/.", Required = true };
        var iterations = new Option<int?>("--iterations") { Description = "With --data: score only the first N batches (an alias of --images N × --batch-size)." };
        var batch = CommonOptions.PositiveInt("--batch-size", "With --data: test batch size.", 100);
        var sram = new Option<string>("--sram") { Description = "On-chip buffer: 8KB, 32KB or 1MB (the SRAM rows of Horowitz's table; also the spill capacity).", DefaultValueFactory = _ => "32KB" };
        var dram = new Option<string>("--dram") { Description = "DRAM energy: low (1,300 pJ per 32 bits) or high (2,600).", DefaultValueFactory = _ => "low" };
        dram.AcceptOnlyFromAmong("low", "high");
        var inferenceBatch = CommonOptions.PositiveInt("--batch", "Images per batch on the accelerator: DRAM weight traffic is shared by the batch.", 1);
        var array = new Option<string>("--array") { Description = "MAC array ROWSxCOLUMNS (area; per-channel units per column).", DefaultValueFactory = _ => "16x16" };
        var offsets = new Option<string>("--offsets") { Description = "Zero points as cross-terms outside the array, or per-mac subtraction.", DefaultValueFactory = _ => "cross-terms" };
        offsets.AcceptOnlyFromAmong("cross-terms", "per-mac");
        var platform = new Option<string?>("--platform") { Description = $"Roofline platform name (default {RooflinePlatform.JetsonNano.Name})." };
        var peak = new Option<double?>("--peak-ops") { Description = "Roofline peak operations per second (default 472e9, Jetson Nano FP16)." };
        var bandwidth = new Option<double?>("--bandwidth") { Description = "Roofline memory bandwidth in bytes per second (default 25.6e9, Jetson Nano LPDDR4)." };
        var allowFloat = new Option<bool>("--allow-float-layers") { Description = "Cost weighted layers a plan does not list as float32 instead of refusing the plan." };
        var weights = CommonOptions.Weights();
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("report", "Report what each plan saves in hardware: memory, operations, energy, area, roofline, with charts.")
        {
            model, weights, plans, outDir, iterations, batch, sram, dram, inferenceBatch, array, offsets, platform, peak, bandwidth, allowFloat, device, json,
        };
        var data = new DataOptions(command);
        command.SetAction(r => CommandRunner.Run(cancel =>
        {
            var accelerator = new AcceleratorOptions
            {
                Sram = SramSizes.Parse(r.GetValue(sram)!),
                Dram = r.GetValue(dram) == "high" ? DramEstimate.High : DramEstimate.Low,
                Batch = r.GetValue(inferenceBatch),
                ArrayRows = ParseArray(r.GetValue(array)!).Rows,
                ArrayColumns = ParseArray(r.GetValue(array)!).Columns,
                Offsets = r.GetValue(offsets) == "per-mac" ? OffsetImplementation.PerMac : OffsetImplementation.CrossTerms,
                Platform = Platform(r.GetValue(platform), r.GetValue(peak), r.GetValue(bandwidth)),
            };
            if (r.GetValue(iterations) is < 1)
                throw new RistrettoException($"--iterations must be ≥ 1, got {r.GetValue(iterations)}");
            var result = Reporter.Run(new ReportSettings
            {
                Model = r.GetValue(model),
                Weights = r.GetValue(weights),
                Device = r.GetValue(device),
                Plans = r.GetValue(plans) ?? [],
                Folder = r.GetValue(outDir)!,
                Accelerator = accelerator,
                AllowFloatLayers = r.GetValue(allowFloat),
                Data = data.Given(r) ? data.Settings(r, r.GetValue(iterations) is { } n ? ("--iterations", n * r.GetValue(batch)) : null) : null,
                BatchSize = r.GetValue(batch),
            }, ProgressDisplay.Observer, cancel);
            Render(result.Data);
            if (result.Compression is { } compression)
                CompressCommand.Render(compression);
            Console.WriteLine($"report written to {result.Folder} ({ReportWriter.MarkdownFile}, {ReportWriter.HtmlFile}, {ReportWriter.JsonFile}, {result.Files.Count - 3} figure files)");
            if (r.GetValue(json) is { } jsonPath)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
                IO.AtomicFile.WriteText(jsonPath, result.ToJson());
            }
            return 0;
        }));
        return command;
    }

    private static (int Rows, int Columns) ParseArray(string text)
    {
        var parts = text.ToLowerInvariant().Split('x', '×');
        if (parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out int rows) && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int cols) && rows >= 1 && cols >= 1)
            return (rows, cols);
        throw new RistrettoException($"--array {text}: expected ROWSxCOLUMNS, e.g. 16x16");
    }

    private static RooflinePlatform Platform(string? name, double? peak, double? bandwidth)
    {
        var d = RooflinePlatform.JetsonNano;
        if (name is null && peak is null && bandwidth is null)
            return d;
        double p = peak ?? d.PeakOpsPerSecond, b = bandwidth ?? d.BytesPerSecond;
        if (!(p > 0 && double.IsFinite(p)))
            throw new RistrettoException($"--peak-ops must be positive, got {p.ToString(CultureInfo.InvariantCulture)}");
        if (!(b > 0 && double.IsFinite(b)))
            throw new RistrettoException($"--bandwidth must be positive bytes/s, got {b.ToString(CultureInfo.InvariantCulture)}");
        return new RooflinePlatform(name ?? string.Create(CultureInfo.InvariantCulture, $"custom ({p:G3} ops/s, {b:G3} B/s)"), p, b);
    }

    private static void Render(ReportData data)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out), ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = Math.Max(console.Profile.Width, 132);
        var table = new Table { Border = TableBorder.Simple };
        table.Title = new TableTitle($"{Markup.Escape(data.Network)}: hardware cost per inference ({Markup.Escape(data.Accelerator.Describe())})");
        var totals = ReportTables.Totals(data);
        int[] columns = [0, 1, 2, 4, 7, 8, 9, 10, 11];
        foreach (int c in columns)
            table.AddColumn(new TableColumn(Markup.Escape(totals.Header[c])) { Alignment = c == 0 ? Justify.Left : Justify.Right });
        foreach (var row in totals.Rows)
            table.AddRow(columns.Select(c => Markup.Escape(row[c])).ToArray());
        console.Write(table);
        Console.WriteLine($"source: {CostRules.Source}");
        if (data.WithoutAccuracy.Count > 0)
            Console.WriteLine($"not in the accuracy-vs-energy chart (no accuracy): {string.Join(", ", data.WithoutAccuracy)}");
    }
}
