using System.CommandLine;
using Ristretto.Cli.Infrastructure;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Jobs;
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
    private const string Dfp = "dynamic_fixed_point", MiniFloat = "minifloat", PowerOfTwo = "integer_power_of_2_weights", Integer = "integer",
        Binary = "binary", Ternary = "ternary";

    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model: a .rstm, .onnx or Caffe .prototxt file; default: the embedded LeNet trained on MNIST (trained and cached on first use)." };
        var mode = new Option<string>("--trimming-mode") { Description = $"Number format searched: Ristretto's {Dfp}, {MiniFloat}, {PowerOfTwo}, {Integer} (scale and offset; see --scale, --per-channel, --asymmetric, --calibration), or {Binary} / {Ternary} weights (XNOR-Net's α = mean |w|, TWN's Δ = 0.7·mean |w|; per layer, or per output channel with --per-channel) scored once with 8-bit activations or --widths.", DefaultValueFactory = _ => Dfp };
        var scale = new Option<string>("--scale") { Description = $"{Integer} mode: what a scale may be: float, fixed (16 fraction bits: integer multiply + shift) or pow2 (a shift).", DefaultValueFactory = _ => "float" };
        scale.AcceptOnlyFromAmong("float", "fixed", "pow2");
        var perChannel = new Option<bool>("--per-channel") { Description = $"{Integer} mode: one weight scale per output channel; {Binary} and {Ternary}: one α (and Δ) per output channel." };
        var keepFloat = new Option<string?>("--keep-float-layers") { Description = "Leave these layers in float32 (comma-separated names, e.g. the first and last: conv1,ip2); every plan scored has them float." };
        var logActivations = new Option<string?>("--log-activations") { Description = "Quantize layer inputs and outputs logarithmically, base 2 or sqrt2 (values 2^(e/k), zero, the full-scale range from the calibrated maximum; unsigned after a ReLU), at the swept or given activation width." };
        logActivations.AcceptOnlyFromAmong("2", "sqrt2");
        var asymmetric = new Option<bool>("--asymmetric") { Description = $"{Integer} mode: activations with a zero point (offset) where they go negative." };
        var clipping = new Option<string>("--calibration") { Description = $"How activation ranges are chosen: max (hold the calibrated maximum), mse (least squared error over a histogram streamed over the calibration batches), kl (least Kullback–Leibler divergence over that histogram), or percentile:P (hold the P-th percentile of |x|).", DefaultValueFactory = _ => "max" };
        var weightClipping = new Option<string>("--weight-calibration") { Description = $"How weight ranges are chosen: mse (least squared error over the histogram of |w|; the default of {Dfp}: a fixed plan, --search per-layer and hessian use it alone, the default per-type sweep also scores the output lengths of a weight cell where they differ and keeps the better), output (per layer, the least squared error of the network's output, with only that layer's weights trimmed, over the first 256 calibration images), max (hold the largest |w|; the default of {Integer}), percentile:P, or kl (output and kl: {Dfp} only). Given explicitly, the sweep uses that one criterion. In {Integer} mode per tensor or per channel (--per-channel).", DefaultValueFactory = _ => "mse" };
        var margin = new Option<double>("--error-margin") { Description = "For top1, top5, agreement: the allowed drop in percentage points from float (default 1; Ristretto's tool defaulted to 2). For sqnr: the lowest output SQNR in dB (required). For cosine: M gives the lowest mean cosine similarity 1 − M/100.", DefaultValueFactory = _ => 1.0 };
        var metric = new Option<string>("--metric") { Description = "What drives the search: top1, top5, agreement (top class as float's), sqnr (output SQNR, dB) or cosine (mean cosine similarity with float's outputs); the last three need no labels.", DefaultValueFactory = _ => "top1" };
        metric.AcceptOnlyFromAmong([.. Evaluation.Metric.All.Select(m => m.Name)]);
        var layerSqnr = new Option<bool>("--per-layer-sqnr") { Description = "Also measure the chosen plan's SQNR at every quantized layer's output against float, with the quantized layers upstream (what the hardware sees); printed and in --json." };
        var metrics = new Option<string?>("--metrics") { Description = "Also measure these on every plan, for --json and --report: a comma-separated list of agreement, sqnr, cosine (top1 and top5 are always there with labels)." };
        var iterations = new Option<int?>("--iterations") { Description = "Batches scored per evaluation (an alias of --images N × --batch-size; default: every evaluated image)." };
        var batch = CommonOptions.PositiveInt("--batch-size", "Test batch size.", 100);
        var calibration = new Option<int?>("--calibration-batches") { Description = "Calibration batches of 64 (an alias of --calibration-images N × 64)." };
        var plan = new Option<string?>("--plan") { Description = "Write the chosen per-layer formats as a JSON plan to this file." };
        var searchKind = new Option<string>("--search") { Description = "per-type: Ristretto's sweeps by layer type; per-layer: then a greedy per-layer width search by cost (BOPs), with its Pareto front; hessian: per-layer weight and activation widths from Hessian-trace and measured sensitivities, chosen by an integer program (CP-SAT) within --budget.", DefaultValueFactory = _ => "per-type" };
        searchKind.AcceptOnlyFromAmong("per-type", "per-layer", "hessian");
        var searchBudget = new Option<string?>("--budget") { Description = "With --search hessian: the cost limit, bops=N (BOPs per image), energy-uj=X (energy per inference) or memory-kib=Y (parameter memory), as report prints them." };
        var budget = new Option<double?>("--time-budget") { Description = "Seconds the per-layer search may take; it then keeps the best plan found so far." };
        var noWiden = new Option<bool>("--no-widen") { Description = "Keep the sweeps' combined widths even when the combined plan misses the margin, as Ristretto did (by default each step scores every part one width wider and keeps the best, until the margin holds)." };
        var widths = new Option<string?>("--widths") { Description = $"Skip the sweeps ({Dfp} or {Integer}): build the per-type plan with these widths, CONV/FC/ACTIVATIONS (e.g. 2/2/4), and score it once." };
        var learn = new Option<string>("--learn-steps") { Description = $"Mark the plan's int formats for fine-tuning to train their scales ({Integer} only): lsq, or lsq+ (also the offsets of asymmetric activations); ttq: the α of {Binary} and {Ternary} weights.", DefaultValueFactory = _ => "none" };
        learn.AcceptOnlyFromAmong("none", "lsq", "lsq+", "ttq");
        var quantized = new Option<string?>("--model-quantized") { Description = "Write the quantized network as a Ristretto prototxt (ConvolutionRistretto, FcRistretto, LRNRistretto, ...) to this file, and its float weights beside it as .caffemodel." };
        var reportDir = new Option<string?>("--report") { Description = "Also write the hardware cost report (Markdown, HTML, JSON, charts) of every scored plan to this folder; see ristretto report." };
        var compat = new Option<string>("--compat") { Description = "ristretto: fit formats to ranges by Ristretto's rules bit for bit (activations il = ceil(log2 max) on a signed format, which saturates values above half the maximum; the bias shares the weights' format), so its table is reproducible; none (default): ranges that hold the maximum, unsigned formats for non-negative tensors, a bias format of its own.", DefaultValueFactory = _ => "none" };
        compat.AcceptOnlyFromAmong("none", "ristretto");
        var scaleOut = new ScaleOutOptions();
        var equalize = new Option<bool>("--equalize") { Description = "Cross-layer equalization before calibration: rescale conv/FC pairs joined by ReLU, pooling, dropout or flatten so their per-channel weight ranges match (the same float function; BatchNorm folded first). The plan then goes with the rescaled model: give --out with --plan." };
        var adaround = new Option<bool>("--adaround") { Description = $"AdaRound the chosen plan's weights ({Dfp} or {Integer}, per tensor or per channel): learn up/down rounding per weight, layer by layer, to reconstruct each layer's float output on calibration images; seeded by --seed. Then score the plan again." };
        var adaroundIterations = new Option<int>("--adaround-iterations") { Description = "AdaRound's optimisation steps per layer.", DefaultValueFactory = _ => 1000 };
        var biasCorrection = new Option<bool>("--bias-correction") { Description = "Empirical bias correction of the chosen plan: subtract each output channel's mean quantization error, measured on calibration images, from its bias (clamped to the bias format's range). Then score the plan again." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of AdaRound's batch order.", DefaultValueFactory = _ => 1 };
        var outModel = new Option<string?>("--out") { Description = "Write the model with the weights --equalize, --adaround or --bias-correction changed (.rstm for zoo networks, .onnx, or .prototxt + .caffemodel): the plan goes with it." };
        var weights = CommonOptions.Weights();
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("quantize", "Find the smallest bit-widths that keep top-1 within an error margin (Ristretto's procedure).")
        {
            model, weights, mode, compat, scale, perChannel, asymmetric, keepFloat, logActivations, clipping, weightClipping, searchKind, noWiden, widths, learn, budget, margin, metric, metrics, layerSqnr, iterations, batch, calibration, quantized, plan, reportDir, device, json,
            equalize, adaround, adaroundIterations, biasCorrection, seed, outModel, searchBudget,
        };
        var data = new DataOptions(command, calibration: true);
        scaleOut.AddTo(command);
        command.SetAction(r => CommandRunner.Run(cancel =>
        {
            if (r.GetValue(iterations) is < 1 || r.GetValue(calibration) is < 1)
                throw new RistrettoException("--iterations and --calibration-batches must be ≥ 1");
            int size = r.GetValue(batch);
            var scoredBy = Evaluation.Metric.Named(r.GetValue(metric)!);
            var settings = new QuantizeSettings
            {
                Model = r.GetValue(model),
                Weights = r.GetValue(weights),
                Device = r.GetValue(device),
                Data = data.Settings(r, r.GetValue(iterations) is { } n ? ("--iterations", n * size) : null,
                    r.GetValue(calibration) is { } cb ? ("--calibration-batches", cb * 64) : null),
                DataGiven = data.Given(r),
                Mode = QuantizeModes.Parse(r.GetValue(mode)!),
                Compat = r.GetValue(compat) == "ristretto" ? Compatibility.Ristretto : Compatibility.None,
                Scale = r.GetResult(scale) is { Implicit: false } ? r.GetValue(scale) switch { "pow2" => Formats.ScaleKind.PowerOfTwo, "fixed" => Formats.ScaleKind.FixedPoint, _ => Formats.ScaleKind.Float } : null,
                PerChannel = r.GetValue(perChannel),
                KeepFloatLayers = LayerNames(r.GetValue(keepFloat), "--keep-float-layers"),
                LogActivations = r.GetValue(logActivations) is { } logBase ? Formats.LogFormat.ParseBase(logBase) : null,
                Asymmetric = r.GetValue(asymmetric),
                MseCalibration = r.GetResult(clipping) is { Implicit: false } && r.GetValue(mode) == Integer
                    ? RangeMethod.Parse(r.GetValue(clipping)!, "--calibration") == RangeMethod.Mse : null,
                ActivationCalibration = r.GetResult(clipping) is { Implicit: false } && (r.GetValue(mode) != Integer
                    || RangeMethod.Parse(r.GetValue(clipping)!, "--calibration") is { Kind: "percentile" or "kl" or "output" }) ? RangeMethod.Parse(r.GetValue(clipping)!, "--calibration") : null,
                WeightCalibration = r.GetResult(weightClipping) is { Implicit: false } ? RangeMethod.Parse(r.GetValue(weightClipping)!, "--weight-calibration") : null,
                Search = r.GetValue(searchKind) switch { "per-layer" => SearchKind.PerLayer, "hessian" => SearchKind.Hessian, _ => SearchKind.PerType },
                Budget = r.GetValue(searchBudget) is { } b ? SearchBudget.Parse(b) : null,
                Equalize = r.GetValue(equalize),
                AdaRound = r.GetValue(adaround),
                AdaRoundIterations = r.GetValue(adaroundIterations),
                AdaRoundSeed = r.GetValue(seed),
                BiasCorrection = r.GetValue(biasCorrection),
                OutPath = r.GetValue(outModel),
                NoWiden = r.GetValue(noWiden),
                Widths = r.GetValue(widths) is { } w ? BitWidths.Parse(w) : null,
                Learning = PlanFile.ParseLearning(r.GetValue(learn)!) ?? StepLearning.None,
                TimeBudget = r.GetValue(budget) is { } sec ? (sec > 0 ? TimeSpan.FromSeconds(sec) : throw new RistrettoException($"--time-budget must be positive, got {sec}")) : null,
                Margin = r.GetResult(margin) is { Implicit: false } ? new ErrorMargin(scoredBy, r.GetValue(margin)) : ErrorMargin.Default(scoredBy),
                ExtraMetrics = Evaluation.Metric.List(r.GetValue(metrics)),
                PerLayerSqnr = r.GetValue(layerSqnr),
                BatchSize = size,
                PlanPath = r.GetValue(plan),
                QuantizedModelPath = r.GetValue(quantized),
                ReportFolder = r.GetValue(reportDir),
                ScaleOut = scaleOut.Settings(r),
            }.Validate();
            var result = Quantizer.Run(settings, ProgressDisplay.Observer, cancel);
            Render(result);
            JobJson.Write(r.GetValue(json), result.ToJson());
            return 0;
        }));
        return command;
    }

    /// <summary>A comma-separated list of layer names (none: empty); an empty name is one error line.</summary>
    private static IReadOnlyList<string> LayerNames(string? text, string option)
    {
        if (text is null)
            return [];
        var names = text.Split(',').Select(n => n.Trim()).ToList();
        return names.Any(n => n.Length == 0)
            ? throw new RistrettoException($"{option} {text}: expected comma-separated layer names, e.g. conv1,ip2")
            : names;
    }

    /// <summary>The tables and lines <c>quantize</c> prints for <paramref name="r"/>.</summary>
    private static void Render(QuantizeResult r)
    {
        if (r.DryRun is { } dry)
        {
            Console.WriteLine($"dry run: wrote {dry.ScriptPath} for the first round ({dry.Trials} trials in {r.ScaleOut?.Folder}); nothing was submitted.");
            Console.WriteLine("Submit it yourself, or run the same command without --dry-run: trials with results are not run again.");
            return;
        }
        if (r.ScaleOut is { } so)
            Console.WriteLine($"trials: {so.Trials} in {so.Rounds} rounds through {so.Launcher} ({so.Folder}){(so.Resumed > 0 ? $", {so.Resumed} resumed" : "")}{(so.Retried > 0 ? $", {so.Retried} retried" : "")}");
        var s = r.Settings;
        var metric = s.EffectiveMargin.Metric;
        if (s.Widths is { } w)
        {
            string kind = s.Mode == QuantizeMode.DynamicFixedPoint ? "Dynamic fixed point" : char.ToUpperInvariant(r.SchemeDescription[0]) + r.SchemeDescription[1..];
            Console.Write(QuantizeTables.Fixed(kind, r.NetworkName, r.ModelPath, r.Baseline, r.Quantized, (w.Conv, w.Fc, w.Activations)));
            if (metric != Evaluation.Metric.Top1 || s.ExtraMetrics.Any(m => m.NeedsReference))
                Console.WriteLine($"quantized: {JobJson.Describe(r.Quantized)}");
        }
        else if (r.Sweeps is { } sweeps)
        {
            string title = s.Mode == QuantizeMode.DynamicFixedPoint ? "Ristretto dynamic fixed point search" : $"Ristretto's sweeps, {r.SchemeDescription}";
            Console.Write(QuantizeTables.Table(title, r.NetworkName, r.ModelPath, sweeps, s.EffectiveMargin.Value, r.SweepWidths, metric));
            if (r.PerLayer is var (layered, typeCost))
                Console.Write(QuantizeTables.PerLayerTable(layered, typeCost, sweeps.Quantized.Driving, metric));
        }
        else if (r.Hessian is { } h)
            Console.Write(QuantizeTables.Hessian(r.NetworkName, r.ModelPath, h, metric));
        else if (r.MiniFloat is { } m)
            Console.Write(QuantizeTables.Table(r.NetworkName, r.ModelPath, m, s.EffectiveMargin.Value, metric));
        else
            Console.Write(QuantizeTables.Table(r.NetworkName, r.ModelPath, r.PowerOfTwo!));
        if (r.Cost is { } cost && (r.PerLayer is not null || r.Hessian is not null)) // the per-type table stays Ristretto's, line for line
            Console.WriteLine($"search cost: {cost.Describe()}");
        if (r.Refinement is { } refined)
            Console.Write(QuantizeTables.Refinement(refined, r.Quantized, metric));
        if (r.OutPath is { } outPath)
            Console.WriteLine($"model with the changed weights written to {outPath}");
        if (r.QuantizedModelPath is { } prototxt)
            Console.WriteLine($"quantized network written to {prototxt} (weights: {r.CaffeModelPath})");
        if (r.PlanPath is { } planPath)
            Console.WriteLine($"plan written to {planPath}");
        if (r.ReportPath is { } report)
            Console.WriteLine($"cost report written to {report}");
        if (r.LayerSqnr is { } layers)
        {
            Console.WriteLine("SQNR of each quantized layer's output (quantized layers upstream):");
            foreach (var (layer, db) in layers)
                Console.WriteLine($"  {layer,-24} {Evaluation.Metric.Sqnr.Format(db)}");
        }
    }
}
