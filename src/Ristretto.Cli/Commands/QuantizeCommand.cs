using System.CommandLine;
using System.Globalization;
using System.Text;
using Ristretto.Cli.Infrastructure;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Search;

namespace Ristretto.Cli.Commands;

/// <summary>
/// <c>ristretto quantize</c>: Ristretto's search for the smallest dynamic-fixed-point widths within an error
/// margin. With no <c>--model</c> it works on the embedded default, the zoo LeNet trained on MNIST.
/// </summary>
public static class QuantizeCommand
{
    private const string Dfp = "dynamic_fixed_point", MiniFloat = "minifloat", PowerOfTwo = "integer_power_of_2_weights";

    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model: a .rstm, .onnx or Caffe .prototxt file; default: the embedded LeNet trained on MNIST (trained and cached on first use)." };
        var mode = new Option<string>("--trimming-mode") { Description = $"Number format searched, as Ristretto named them: {Dfp}, {MiniFloat}, {PowerOfTwo}.", DefaultValueFactory = _ => Dfp };
        var margin = new Option<double>("--error-margin") { Description = "Allowed top-1 drop in percentage points (Ristretto's tool defaulted to 2; its LeNet example used 1).", DefaultValueFactory = _ => 1.0 };
        var iterations = CommonOptions.PositiveInt("--iterations", "Test batches scored per evaluation.", 100);
        var batch = CommonOptions.PositiveInt("--batch-size", "Test batch size.", 100);
        var calibration = CommonOptions.PositiveInt("--calibration-batches", "Training batches (of 64) measured for the value ranges.", 10);
        var plan = new Option<string?>("--plan") { Description = "Write the chosen per-layer formats as a JSON plan to this file." };
        var searchKind = new Option<string>("--search") { Description = "per-type: Ristretto's sweeps by layer type; per-layer: then a greedy per-layer width search by cost (BOPs), with its Pareto front.", DefaultValueFactory = _ => "per-type" };
        searchKind.AcceptOnlyFromAmong("per-type", "per-layer");
        var budget = new Option<double?>("--time-budget") { Description = "Seconds the per-layer search may take; it then keeps the best plan found so far." };
        var quantized = new Option<string?>("--model-quantized") { Description = "Write the quantized network as a Ristretto prototxt (ConvolutionRistretto/FcRistretto) to this file, and its float weights beside it as .caffemodel." };
        var weights = CommonOptions.Weights();
        var device = CommonOptions.Device();
        var data = CommonOptions.Data();
        var json = CommonOptions.Json();
        var command = new Command("quantize", "Find the smallest bit-widths that keep top-1 within an error margin (Ristretto's procedure).")
        {
            model, weights, mode, searchKind, budget, margin, iterations, batch, calibration, quantized, plan, device, data, json,
        };
        command.SetAction(r => CommandRunner.Run(cancel =>
        {
            string trimming = r.GetValue(mode)!;
            if (trimming is not (Dfp or MiniFloat or PowerOfTwo))
                throw new RistrettoException($"--trimming-mode {trimming}: expected {Dfp}, {MiniFloat} or {PowerOfTwo}");
            bool perLayer = r.GetValue(searchKind) == "per-layer";
            if (perLayer && trimming != Dfp)
                throw new RistrettoException($"--search per-layer works with {Dfp} only");
            if (r.GetValue(budget) is <= 0)
                throw new RistrettoException($"--time-budget must be positive, got {r.GetValue(budget)}");
            var dev = DeviceSelector.Resolve(r.GetValue(device));
            var (loaded, path) = ModelReference.Load(r.GetValue(model), dev, r.GetValue(weights), applyQuantization: false);
            using var module = loaded;
            var network = module as Network ?? throw new RistrettoException($"{path}: only graph networks can be quantized");
            var files = DatasetFiles.Resolve(r.GetValue(data), Log.Info);
            using var train = new TensorImageSet(files.LoadTrain(), dev);
            using var test = new TensorImageSet(files.LoadTest(), dev);
            var ranges = Calibration.Measure(network, train, r.GetValue(calibration), 64);
            int its = r.GetValue(iterations), size = r.GetValue(batch);
            double points = r.GetValue(margin);
            QuantizationPlan chosenPlan;
            Dictionary<string, object?> report;
            if (trimming == Dfp)
            {
                var search = new RistrettoDfpSearch(network, ranges, test, its, size);
                var result = ProgressDisplay.Run("quantize", search.MaxEvaluations, p => search.Run(points, p, cancel));
                Console.Write(Table(network.Name, path, result, points));
                (chosenPlan, report) = (result.Plan, Report(result));
                if (perLayer)
                {
                    var layerSearch = new PerLayerSearch(network, ranges, test, its, size);
                    var limit = r.GetValue(budget) is { } sec ? TimeSpan.FromSeconds(sec) : (TimeSpan?)null;
                    int most = 2 + 2 * network.Nodes.Count(n => n.Layer is IWeightedLayer) * 4;
                    var layered = ProgressDisplay.Run("per-layer", most, p => layerSearch.Run(points, limit, p, cancel));
                    double typeCost = layerSearch.Cost(result.Plan);
                    Console.Write(PerLayerTable(layered, typeCost, result.Quantized.Top1));
                    chosenPlan = layered.Plan;
                    report["per_layer"] = PerLayerReport(layered, typeCost);
                }
            }
            else if (trimming == MiniFloat)
            {
                var modes = new RistrettoOtherModes(network, ranges, test, its, size);
                var result = ProgressDisplay.Run("quantize", 3, p => modes.MiniFloat(points, p, cancel));
                Console.Write(Table(network.Name, path, result, points));
                (chosenPlan, report) = (result.Plan, Report(result));
            }
            else
            {
                var modes = new RistrettoOtherModes(network, ranges, test, its, size);
                var result = ProgressDisplay.Run("quantize", 2, p => modes.PowerOfTwo(progress: p, cancel: cancel));
                Console.Write(Table(network.Name, path, result));
                (chosenPlan, report) = (result.Plan, Report(result));
            }
            if (r.GetValue(quantized) is { } prototxt)
            {
                string caffemodel = Path.ChangeExtension(prototxt, ".caffemodel");
                Export.CaffeExport.Save(network, chosenPlan, prototxt, caffemodel);
                Console.WriteLine($"quantized network written to {prototxt} (weights: {caffemodel})");
            }
            if (r.GetValue(plan) is { } planPath)
            {
                PlanFile.Save(planPath, chosenPlan);
                Console.WriteLine($"plan written to {planPath}");
            }
            JsonReport.Write(r.GetValue(json), report);
            return 0;
        }));
        return command;
    }

    /// <summary>The result as Ristretto printed it: every sweep, the chosen widths, the combined accuracy.</summary>
    internal static string Table(string network, string path, DfpSearchResult r, double margin)
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"Ristretto dynamic fixed point search on {network} ({path})");
        s.AppendLine(c, $"top-1 on {r.Baseline.Images:N0} test images per evaluation, error margin {margin} points");
        s.AppendLine(c, $"float32 baseline: top-1 {100 * r.Baseline.Top1:F2} %, top-5 {100 * r.Baseline.Top5:F2} %");
        s.AppendLine();
        s.Append(c, $"{"part",-14}");
        foreach (int bits in RistrettoDfpSearch.Widths)
            s.Append(c, $"{bits + "-bit",9}");
        s.AppendLine();
        foreach (var part in r.Sweeps.Select(p => p.Part).Distinct())
        {
            s.Append(c, $"{part,-14}");
            foreach (int bits in RistrettoDfpSearch.Widths)
            {
                var point = r.Sweeps.FirstOrDefault(p => p.Part == part && p.Bits == bits);
                s.Append(point is null ? $"{"—",9}" : string.Create(c, $"{100 * point.Top1,9:F2}"));
            }
            s.AppendLine();
        }
        s.AppendLine();
        s.AppendLine(c, $"chosen: conv weights {Bits(r.ConvWeightBits)}, fc weights {Bits(r.FcWeightBits)}, activations {Bits(r.ActivationBits)}");
        s.AppendLine(c, $"combined: top-1 {100 * r.Quantized.Top1:F2} %, top-5 {100 * r.Quantized.Top5:F2} % ({r.Evaluations} evaluations in {r.Seconds:F1} s)");
        s.AppendLine("Please fine-tune.");
        return s.ToString();
    }

    /// <summary>The minifloat result as Ristretto printed it.</summary>
    internal static string Table(string network, string path, MiniFloatSearchResult r, double margin)
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"Ristretto minifloat search on {network} ({path}), error margin {margin} points");
        s.AppendLine(c, $"float32 baseline: top-1 {100 * r.Baseline.Top1:F2} %, top-5 {100 * r.Baseline.Top5:F2} %");
        s.AppendLine(c, $"exponent bits: {r.ExponentBits} (from the largest layer input/output)");
        foreach (var p in r.Sweeps)
            s.AppendLine(c, $"  {p.Bits,2}-bit minifloat (mantissa {p.Bits - 1 - r.ExponentBits}): top-1 {100 * p.Top1:F2} %");
        s.AppendLine(r.Bits is { } b ? $"chosen: {b}-bit minifloat" : "chosen: none within the margin (scored: 16-bit)");
        s.AppendLine(c, $"quantized: top-1 {100 * r.Quantized.Top1:F2} %, top-5 {100 * r.Quantized.Top5:F2} % ({r.Evaluations} evaluations in {r.Seconds:F1} s)");
        s.AppendLine("Please fine-tune.");
        return s.ToString();
    }

    /// <summary>The power-of-two result as Ristretto printed it.</summary>
    internal static string Table(string network, string path, PowerOfTwoResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"Ristretto power-of-two weights on {network} ({path})");
        s.AppendLine(c, $"float32 baseline: top-1 {100 * r.Baseline.Top1:F2} %, top-5 {100 * r.Baseline.Top5:F2} %");
        s.AppendLine(c, $"weights ±2^e, e in [{r.MinExponent}, {r.MaxExponent}], zero kept; activations and biases {r.ActivationBits}-bit dynamic fixed point");
        s.AppendLine(c, $"quantized: top-1 {100 * r.Quantized.Top1:F2} %, top-5 {100 * r.Quantized.Top5:F2} % ({r.Evaluations} evaluations in {r.Seconds:F1} s)");
        s.AppendLine("Please fine-tune.");
        return s.ToString();
    }

    /// <summary>The per-layer result: widths per layer, cost against the per-type plan, the Pareto front.</summary>
    internal static string PerLayerTable(PerLayerResult r, double perTypeBops, double perTypeTop1)
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine();
        s.AppendLine("Per-layer search (greedy by BOPs saved; a move is kept while top-1 stays within the margin)");
        s.AppendLine(c, $"{"layer",-12} {"weights",8} {"activations",12}");
        foreach (var (layer, (w, a)) in r.Widths)
            s.AppendLine(c, $"{layer,-12} {w + "-bit",8} {a + "-bit",12}");
        s.AppendLine(c, $"cost: {r.Final.Bops:N0} BOPs, top-1 {100 * r.Final.Top1:F2} %  vs per-type plan {perTypeBops:N0} BOPs, top-1 {100 * perTypeTop1:F2} %  ({(perTypeBops > 0 ? r.Final.Bops / perTypeBops : 0):P0} of its cost)");
        if (r.Final.Bops >= perTypeBops)
            s.AppendLine("the per-layer plan is not cheaper: the greedy moves that would beat the per-type plan each fell below the margin");
        if (r.BudgetExhausted)
            s.AppendLine("time budget spent: this is the best plan found so far");
        s.AppendLine(c, $"Pareto front of the {r.Scored.Count} plans scored (BOPs → top-1):");
        foreach (var p in r.ParetoFront)
            s.AppendLine(c, $"  {p.Bops,16:N0}  {100 * p.Top1,6:F2} %  {p.Description}");
        s.AppendLine(c, $"({r.Evaluations} evaluations in {r.Seconds:F1} s)");
        return s.ToString();
    }

    private static Dictionary<string, object?> PerLayerReport(PerLayerResult r, double perTypeBops) => new()
    {
        ["method"] = "greedy by BOPs saved, 16→8→4→2→1 per layer and part, kept while within the margin",
        ["layers"] = r.Widths.ToDictionary(kv => kv.Key, kv => new Dictionary<string, int> { ["weights"] = kv.Value.Weights, ["activations"] = kv.Value.Activations }),
        ["bops"] = r.Final.Bops,
        ["per_type_bops"] = perTypeBops,
        ["top1"] = r.Final.Top1,
        ["top5"] = r.Final.Top5,
        ["pareto"] = r.ParetoFront.Select(p => new Dictionary<string, object> { ["bops"] = p.Bops, ["top1"] = p.Top1, ["plan"] = p.Description }).ToList(),
        ["budget_exhausted"] = r.BudgetExhausted,
        ["evaluations"] = r.Evaluations,
        ["seconds"] = Math.Round(r.Seconds, 3),
    };

    private static string Bits(int? b) => b is { } v ? $"{v}-bit" : "float32 (no width within the margin)";

    private static Dictionary<string, object?> Report(MiniFloatSearchResult r) => Common(r.Baseline, r.Quantized, r.Evaluations, r.Seconds,
        r.Sweeps, new Dictionary<string, int?> { ["bits"] = r.Bits, ["exp_bits"] = r.ExponentBits, ["mant_bits"] = r.Bits - 1 - r.ExponentBits });

    private static Dictionary<string, object?> Report(PowerOfTwoResult r) => Common(r.Baseline, r.Quantized, r.Evaluations, r.Seconds,
        [], new Dictionary<string, int?> { ["exp_min"] = r.MinExponent, ["exp_max"] = r.MaxExponent, ["activations"] = r.ActivationBits });

    private static Dictionary<string, object?> Report(DfpSearchResult r) => Common(r.Baseline, r.Quantized, r.Evaluations, r.Seconds,
        r.Sweeps, new Dictionary<string, int?> { ["conv_weights"] = r.ConvWeightBits, ["fc_weights"] = r.FcWeightBits, ["activations"] = r.ActivationBits });

    private static Dictionary<string, object?> Common(Evaluation.EvalResult baseline, Evaluation.EvalResult quantized, int evaluations, double seconds,
        IReadOnlyList<SweepPoint> sweeps, Dictionary<string, int?> chosen) => new()
    {
        ["baseline"] = new Dictionary<string, double> { ["top1"] = baseline.Top1, ["top5"] = baseline.Top5 },
        ["sweeps"] = sweeps.Select(p => new Dictionary<string, object> { ["part"] = p.Part, ["bits"] = p.Bits, ["top1"] = p.Top1, ["top5"] = p.Top5 }).ToList(),
        ["chosen"] = chosen,
        ["quantized"] = new Dictionary<string, double> { ["top1"] = quantized.Top1, ["top5"] = quantized.Top5 },
        ["evaluations"] = evaluations,
        ["seconds"] = Math.Round(seconds, 3),
    };

}
