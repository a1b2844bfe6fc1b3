using System.CommandLine;
using System.Globalization;
using System.Text;
using Ristretto.Cli.Infrastructure;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Reports;
using Ristretto.Search;

namespace Ristretto.Cli.Commands;

/// <summary>
/// <c>ristretto quantize</c>: Ristretto's search for the smallest dynamic-fixed-point widths within an error
/// margin. With no <c>--model</c> it works on the embedded default, the zoo LeNet trained on MNIST.
/// </summary>
public static class QuantizeCommand
{
    private const string Dfp = "dynamic_fixed_point", MiniFloat = "minifloat", PowerOfTwo = "integer_power_of_2_weights", Integer = "integer";

    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model: a .rstm, .onnx or Caffe .prototxt file; default: the embedded LeNet trained on MNIST (trained and cached on first use)." };
        var mode = new Option<string>("--trimming-mode") { Description = $"Number format searched: Ristretto's {Dfp}, {MiniFloat}, {PowerOfTwo}, or {Integer} (scale and offset; see --scale, --per-channel, --asymmetric, --calibration).", DefaultValueFactory = _ => Dfp };
        var scale = new Option<string>("--scale") { Description = $"{Integer} mode: what a scale may be: float, fixed (16 fraction bits: integer multiply + shift) or pow2 (a shift).", DefaultValueFactory = _ => "float" };
        scale.AcceptOnlyFromAmong("float", "fixed", "pow2");
        var perChannel = new Option<bool>("--per-channel") { Description = $"{Integer} mode: one weight scale per output channel." };
        var asymmetric = new Option<bool>("--asymmetric") { Description = $"{Integer} mode: activations with a zero point (offset) where they go negative." };
        var clipping = new Option<string>("--calibration") { Description = $"{Integer} mode: activation range from the calibrated max, or the threshold minimising the squared error over a histogram (mse).", DefaultValueFactory = _ => "max" };
        clipping.AcceptOnlyFromAmong("max", "mse");
        var margin = new Option<double>("--error-margin") { Description = "For top1, top5, agreement: the allowed drop in percentage points from float (default 1; Ristretto's tool defaulted to 2). For sqnr: the lowest output SQNR in dB (required). For cosine: M gives the lowest mean cosine similarity 1 − M/100.", DefaultValueFactory = _ => 1.0 };
        var metric = new Option<string>("--metric") { Description = "What drives the search: top1, top5, agreement (top class as float's), sqnr (output SQNR, dB) or cosine (mean cosine similarity with float's outputs); the last three need no labels.", DefaultValueFactory = _ => "top1" };
        metric.AcceptOnlyFromAmong([.. Evaluation.Metric.All.Select(m => m.Name)]);
        var layerSqnr = new Option<bool>("--per-layer-sqnr") { Description = "Also measure the chosen plan's SQNR at every quantized layer's output against float, with the quantized layers upstream (what the hardware sees); printed and in --json." };
        var metrics = new Option<string?>("--metrics") { Description = "Also measure these on every plan, for --json and --report: a comma-separated list of agreement, sqnr, cosine (top1 and top5 are always there with labels)." };
        var iterations = new Option<int?>("--iterations") { Description = "Batches scored per evaluation (an alias of --images N × --batch-size; default: every evaluated image)." };
        var batch = CommonOptions.PositiveInt("--batch-size", "Test batch size.", 100);
        var calibration = new Option<int?>("--calibration-batches") { Description = "Calibration batches of 64 (an alias of --calibration-images N × 64)." };
        var plan = new Option<string?>("--plan") { Description = "Write the chosen per-layer formats as a JSON plan to this file." };
        var searchKind = new Option<string>("--search") { Description = "per-type: Ristretto's sweeps by layer type; per-layer: then a greedy per-layer width search by cost (BOPs), with its Pareto front.", DefaultValueFactory = _ => "per-type" };
        searchKind.AcceptOnlyFromAmong("per-type", "per-layer");
        var budget = new Option<double?>("--time-budget") { Description = "Seconds the per-layer search may take; it then keeps the best plan found so far." };
        var noWiden = new Option<bool>("--no-widen") { Description = "Keep the sweeps' combined widths even when the combined plan misses the margin, as Ristretto did (by default each step scores every part one width wider and keeps the best, until the margin holds)." };
        var widths = new Option<string?>("--widths") { Description = $"Skip the sweeps ({Dfp} or {Integer}): build the per-type plan with these widths, CONV/FC/ACTIVATIONS (e.g. 2/2/4), and score it once." };
        var learn = new Option<string>("--learn-steps") { Description = $"Mark the plan's int formats for fine-tuning to train their scales ({Integer} only): lsq, or lsq+ (also the offsets of asymmetric activations).", DefaultValueFactory = _ => "none" };
        learn.AcceptOnlyFromAmong("none", "lsq", "lsq+");
        var quantized = new Option<string?>("--model-quantized") { Description = "Write the quantized network as a Ristretto prototxt (ConvolutionRistretto, FcRistretto, LRNRistretto, ...) to this file, and its float weights beside it as .caffemodel." };
        var reportDir = new Option<string?>("--report") { Description = "Also write the hardware cost report (Markdown, HTML, JSON, charts) of every scored plan to this folder; see ristretto report." };
        var weights = CommonOptions.Weights();
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("quantize", "Find the smallest bit-widths that keep top-1 within an error margin (Ristretto's procedure).")
        {
            model, weights, mode, scale, perChannel, asymmetric, clipping, searchKind, noWiden, widths, learn, budget, margin, metric, metrics, layerSqnr, iterations, batch, calibration, quantized, plan, reportDir, device, json,
        };
        var data = new DataOptions(command, calibration: true);
        command.SetAction(r => CommandRunner.Run(cancel =>
        {
            string trimming = r.GetValue(mode)!;
            if (trimming is not (Dfp or MiniFloat or PowerOfTwo or Integer))
                throw new RistrettoException($"--trimming-mode {trimming}: expected {Dfp}, {MiniFloat}, {PowerOfTwo} or {Integer}");
            var scheme = new IntegerScheme(r.GetValue(scale) switch { "pow2" => Formats.ScaleKind.PowerOfTwo, "fixed" => Formats.ScaleKind.FixedPoint, _ => Formats.ScaleKind.Float },
                r.GetValue(perChannel), r.GetValue(asymmetric), r.GetValue(clipping) == "mse");
            if (trimming != Integer && (r.GetResult(scale) is { Implicit: false } || r.GetValue(perChannel) || r.GetValue(asymmetric) || r.GetResult(clipping) is { Implicit: false }))
                throw new RistrettoException($"--scale, --per-channel, --asymmetric and --calibration go with --trimming-mode {Integer}");
            bool perLayer = r.GetValue(searchKind) == "per-layer";
            if (perLayer && trimming != Dfp)
                throw new RistrettoException($"--search per-layer works with {Dfp} only");
            var fixedWidths = r.GetValue(widths) is { } w ? ParseWidths(w) : ((int, int, int)?)null;
            if (fixedWidths != null && (trimming is not (Dfp or Integer) || perLayer))
                throw new RistrettoException($"--widths goes with --trimming-mode {Dfp} or {Integer} and --search per-type");
            if (r.GetValue(noWiden) && (fixedWidths != null || trimming is not (Dfp or Integer)))
                throw new RistrettoException($"--no-widen goes with the sweeps of --trimming-mode {Dfp} or {Integer} (not with --widths)");
            var learning = PlanFile.ParseLearning(r.GetValue(learn)!) ?? StepLearning.None;
            if (learning != StepLearning.None && trimming != Integer)
                throw new RistrettoException($"--learn-steps trains integer scales: it goes with --trimming-mode {Integer}");
            if (r.GetValue(budget) is <= 0)
                throw new RistrettoException($"--time-budget must be positive, got {r.GetValue(budget)}");
            int size = r.GetValue(batch);
            if (r.GetValue(iterations) is < 1 || r.GetValue(calibration) is < 1)
                throw new RistrettoException("--iterations and --calibration-batches must be ≥ 1");
            var settings = data.Settings(r, r.GetValue(iterations) is { } n ? ("--iterations", n * size) : null,
                r.GetValue(calibration) is { } cb ? ("--calibration-batches", cb * 64) : null);
            var scoredBy = Evaluation.Metric.Named(r.GetValue(metric)!);
            var extra = Evaluation.Metric.List(r.GetValue(metrics));
            bool fidelity = extra.Any(m => m.NeedsReference);
            if (scoredBy == Evaluation.Metric.Sqnr && r.GetResult(margin) is not { Implicit: false })
                throw new RistrettoException("--metric sqnr needs --error-margin DB: the lowest output SQNR a plan may have (e.g. 30)");
            scoredBy.Threshold(0, r.GetValue(margin));
            var dev = DeviceSelector.Resolve(r.GetValue(device));
            var (loaded, path) = ModelReference.Load(r.GetValue(model), dev, r.GetValue(weights), applyQuantization: false);
            using var module = loaded;
            var network = module as Network ?? throw new RistrettoException($"{path}: only graph networks can be quantized");
            settings = ModelReference.WithModelData(settings, path, data.Given(r));
            using var job = JobData.Open(settings, network.Inputs[0].Shape, dev, eval: true, train: false, calibration: true,
                ModelReference.RememberedPreprocessing(path), Log.Info);
            var test = job.Eval!;
            var ranges = Calibration.Measure(network, job.Calibration!, int.MaxValue, 64, scheme.MseClipping && trimming == Integer ? IntegerScheme.HistogramBins : 0);
            int its = (test.Count + size - 1) / size;
            double points = r.GetValue(margin);
            QuantizationPlan chosenPlan;
            Dictionary<string, object?> report;
            Evaluation.EvalResult chosenScore, baselineScore;
            var scoredPlans = new List<ReportPlan>();
            if (fixedWidths is var (convBits, fcBits, actBits))
            {
                var search = trimming == Dfp ? new RistrettoDfpSearch(network, ranges, test, its, size) { Metric = scoredBy, MeasureFidelity = fidelity }
                    : new RistrettoDfpSearch(network, ranges, test, its, size, scheme.Formats(network), IntegerScheme.Widths, scheme.Describe()) { Metric = scoredBy, MeasureFidelity = fidelity };
                chosenPlan = search.Plan(convBits, fcBits, actBits);
                var (baseline, scored) = ProgressDisplay.Run("quantize", 2, p => search.Score(chosenPlan, p, cancel));
                string kind = trimming == Dfp ? "Dynamic fixed point" : char.ToUpperInvariant(scheme.Describe()[0]) + scheme.Describe()[1..];
                Console.Write(QuantizeTables.Fixed(kind, network.Name, path, baseline, scored, (convBits, fcBits, actBits)));
                if (scoredBy != Evaluation.Metric.Top1 || fidelity)
                    Console.WriteLine($"quantized: {JsonReport.Describe(scored)}");
                report = Common(baseline, scored, 2, 0, [], new Dictionary<string, int?> { ["conv_weights"] = convBits, ["fc_weights"] = fcBits, ["activations"] = actBits });
                (chosenScore, baselineScore) = (scored, baseline);
            }
            else if (trimming is Dfp or Integer)
            {
                var search = trimming == Dfp ? new RistrettoDfpSearch(network, ranges, test, its, size) { WidenToMargin = !r.GetValue(noWiden), Metric = scoredBy, MeasureFidelity = fidelity }
                    : new RistrettoDfpSearch(network, ranges, test, its, size, scheme.Formats(network), IntegerScheme.Widths, scheme.Describe()) { WidenToMargin = !r.GetValue(noWiden), Metric = scoredBy, MeasureFidelity = fidelity };
                var result = ProgressDisplay.Run("quantize", search.MaxEvaluations, p => search.Run(points, p, cancel));
                string title = trimming == Dfp ? "Ristretto dynamic fixed point search" : $"Ristretto's sweeps, {scheme.Describe()}";
                Console.Write(QuantizeTables.Table(title, network.Name, path, result, points, search.SweepWidths, scoredBy));
                (chosenPlan, report, chosenScore, baselineScore) = (result.Plan, Report(result), result.Quantized, result.Baseline);
                foreach (var point in result.Sweeps)
                {
                    var swept = point.Part switch
                    {
                        "conv weights" => search.Plan(point.Bits, null, null),
                        "fc weights" => search.Plan(null, point.Bits, null),
                        _ => search.Plan(null, null, point.Bits),
                    };
                    scoredPlans.Add(new ReportPlan($"{point.Part} {point.Bits}-bit", swept, Accuracy(point.Top1, point.Top5, "quantize sweep")));
                }
                foreach (var step in result.Combined.Where(t => (t.ConvWeightBits, t.FcWeightBits, t.ActivationBits) != (result.ConvWeightBits, result.FcWeightBits, result.ActivationBits)))
                    scoredPlans.Add(new ReportPlan($"combined {Width(step.ConvWeightBits)}/{Width(step.FcWeightBits)}/{Width(step.ActivationBits)}",
                        search.Plan(step.ConvWeightBits, step.FcWeightBits, step.ActivationBits), Accuracy(step.Top1, step.Top5, "quantize, combined")));
                if (perLayer)
                {
                    var layerSearch = new PerLayerSearch(network, ranges, test, its, size) { Metric = scoredBy, MeasureFidelity = fidelity };
                    var limit = r.GetValue(budget) is { } sec ? TimeSpan.FromSeconds(sec) : (TimeSpan?)null;
                    int most = 2 + 2 * network.Nodes.Count(n => n.Layer is IWeightedLayer) * 4;
                    var layered = ProgressDisplay.Run("per-layer", most, p => layerSearch.Run(points, limit, p, cancel));
                    double typeCost = layerSearch.Cost(result.Plan);
                    Console.Write(QuantizeTables.PerLayerTable(layered, typeCost, result.Quantized.Driving, scoredBy));
                    scoredPlans.Add(new ReportPlan("per-type plan", result.Plan, Accuracy(result.Quantized.Top1, result.Quantized.Top5, "quantize")));
                    chosenPlan = layered.Plan;
                    // CostPoint.Top1 is the driving score; top-1 and top-5 are known only when top-1 drove the search.
                    chosenScore = scoredBy == Evaluation.Metric.Top1
                        ? result.Quantized with { Top1 = layered.Final.Top1, Top5 = layered.Final.Top5, Score = layered.Final.Top1 }
                        : result.Quantized with { Top1 = double.NaN, Top5 = double.NaN, Score = layered.Final.Top1, Metrics = new Dictionary<string, double> { [scoredBy.Key] = layered.Final.Top1 } };
                    report["per_layer"] = PerLayerReport(layered, typeCost);
                }
            }
            else if (trimming == MiniFloat)
            {
                var modes = new RistrettoOtherModes(network, ranges, test, its, size) { Metric = scoredBy, MeasureFidelity = fidelity };
                var result = ProgressDisplay.Run("quantize", 3, p => modes.MiniFloat(points, p, cancel));
                Console.Write(QuantizeTables.Table(network.Name, path, result, points, scoredBy));
                (chosenPlan, report, chosenScore, baselineScore) = (result.Plan, Report(result), result.Quantized, result.Baseline);
            }
            else
            {
                var modes = new RistrettoOtherModes(network, ranges, test, its, size) { Metric = scoredBy, MeasureFidelity = fidelity };
                var result = ProgressDisplay.Run("quantize", 2, p => modes.PowerOfTwo(progress: p, cancel: cancel));
                Console.Write(QuantizeTables.Table(network.Name, path, result));
                (chosenPlan, report, chosenScore, baselineScore) = (result.Plan, Report(result), result.Quantized, result.Baseline);
            }
            if (r.GetValue(quantized) is { } prototxt)
            {
                string caffemodel = Path.ChangeExtension(prototxt, ".caffemodel");
                Export.CaffeExport.Save(network, chosenPlan, prototxt, caffemodel);
                Console.WriteLine($"quantized network written to {prototxt} (weights: {caffemodel})");
            }
            if (r.GetValue(plan) is { } planPath)
            {
                var written = learning == StepLearning.None ? chosenPlan : chosenPlan.WithLearning(learning);
                PlanFile.Save(planPath, written, double.IsNaN(chosenScore.Top1) ? null : (chosenScore.Top1, chosenScore.Top5));
                Console.WriteLine($"plan written to {planPath}");
            }
            if (r.GetValue(reportDir) is { } folder)
            {
                scoredPlans.Add(new ReportPlan("chosen", chosenPlan, Accuracy(chosenScore.Top1, chosenScore.Top5, "quantize")));
                var written = ReportWriter.Write(network, scoredPlans, new ReportOptions { ModelSource = path, AllowFloatLayers = true }, folder,
                    Accuracy(baselineScore.Top1, baselineScore.Top5, "quantize"));
                Console.WriteLine($"cost report written to {Path.Combine(written.Folder, ReportWriter.HtmlFile)}");
            }
            if (r.GetValue(layerSqnr))
            {
                var layerDb = ProgressDisplay.Run("per-layer SQNR", 1, p =>
                {
                    var measured = Evaluation.LayerSqnr.Measure(network, chosenPlan, test, Math.Min(size, 16)); // every layer's output held at once: small batches
                    p(1, "");
                    return measured;
                });
                Console.WriteLine("SQNR of each quantized layer's output (quantized layers upstream):");
                foreach (var (layer, db) in layerDb)
                    Console.WriteLine($"  {layer,-24} {Evaluation.Metric.Sqnr.Format(db)}");
                report["per_layer_sqnr_db"] = layerDb.ToDictionary(l => l.Layer, l => l.SqnrDb);
            }
            report["metric"] = scoredBy.Key;
            JsonReport.Write(r.GetValue(json), report);
            return 0;
        }));
        return command;
    }

    /// <summary>A plan's accuracy for the report, or null when the data has no labels.</summary>
    private static PlanAccuracy? Accuracy(double top1, double top5, string origin) => double.IsNaN(top1) ? null : new PlanAccuracy(top1, top5, origin);

    private static string Width(int? bits) => bits?.ToString(CultureInfo.InvariantCulture) ?? "float";

    private static (int Conv, int Fc, int Activations) ParseWidths(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int b) && b is >= 1 and <= 32))
            throw new RistrettoException($"--widths {text}: expected CONV/FC/ACTIVATIONS bit-widths from 1 to 32, e.g. 2/2/4");
        int[] b = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return (b[0], b[1], b[2]);
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


    private static Dictionary<string, object?> Report(MiniFloatSearchResult r)
    {
        var report = Common(r.Baseline, r.Quantized, r.Evaluations, r.Seconds,
            r.Sweeps, new Dictionary<string, int?> { ["bits"] = r.Bits, ["exp_bits"] = r.ExponentBits, ["mant_bits"] = r.Bits - 1 - r.ExponentBits });
        if (r.LrnExponentBits.Count > 0)
            report["lrn_exp_bits"] = r.LrnExponentBits.ToDictionary(kv => kv.Key, kv => kv.Value);
        return report;
    }

    private static Dictionary<string, object?> Report(PowerOfTwoResult r) => Common(r.Baseline, r.Quantized, r.Evaluations, r.Seconds,
        [], new Dictionary<string, int?> { ["exp_min"] = r.MinExponent, ["exp_max"] = r.MaxExponent, ["activations"] = r.ActivationBits });

    private static Dictionary<string, object?> Report(DfpSearchResult r)
    {
        var report = Common(r.Baseline, r.Quantized, r.Evaluations, r.Seconds,
            r.Sweeps, new Dictionary<string, int?> { ["conv_weights"] = r.ConvWeightBits, ["fc_weights"] = r.FcWeightBits, ["activations"] = r.ActivationBits });
        report["combined"] = r.Combined.Select(t => new Dictionary<string, object?>
        {
            ["conv_weights"] = t.ConvWeightBits, ["fc_weights"] = t.FcWeightBits, ["activations"] = t.ActivationBits,
            ["top1"] = t.Top1, ["top5"] = t.Top5, ["score"] = t.Score, ["step"] = t.Step, ["widened"] = t.Widened, ["kept"] = t.Kept,
        }).ToList();
        return report;
    }

    private static Dictionary<string, object?> Common(Evaluation.EvalResult baseline, Evaluation.EvalResult quantized, int evaluations, double seconds,
        IReadOnlyList<SweepPoint> sweeps, Dictionary<string, int?> chosen) => new()
    {
        ["baseline"] = JsonReport.Scores(baseline),
        ["sweeps"] = sweeps.Select(p => new Dictionary<string, object> { ["part"] = p.Part, ["bits"] = p.Bits, ["top1"] = p.Top1, ["top5"] = p.Top5, ["score"] = p.Score }).ToList(),
        ["chosen"] = chosen,
        ["quantized"] = JsonReport.Scores(quantized),
        ["evaluations"] = evaluations,
        ["seconds"] = Math.Round(seconds, 3),
    };

}
