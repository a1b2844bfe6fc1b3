using System.Globalization;
using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Formats;
using Ristretto.Quantization;

namespace Ristretto.Jobs;

/// <summary>The number formats <see cref="Quantizer"/> searches (Ristretto's trimming modes, and integer scale/offset).</summary>
public enum QuantizeMode
{
    /// <summary>Ristretto's dynamic fixed point: the per-type sweeps over conv weights, FC weights and activations.</summary>
    DynamicFixedPoint,

    /// <summary>Ristretto's minifloat search.</summary>
    MiniFloat,

    /// <summary>Ristretto's integer power-of-two weights (multiplier-free).</summary>
    PowerOfTwoWeights,

    /// <summary>Integer formats with a scale and an offset, swept like dynamic fixed point.</summary>
    Integer,

    /// <summary>Binary weights ±α (XNOR-Net's α = mean |w|) with dynamic-fixed-point activations, scored once.</summary>
    Binary,

    /// <summary>Ternary weights {−α, 0, α} (TWN's Δ = 0.7·mean |w|) with dynamic-fixed-point activations, scored once.</summary>
    Ternary,
}

/// <summary>Names of <see cref="QuantizeMode"/> as Ristretto spelled them (the CLI's <c>--trimming-mode</c>).</summary>
public static class QuantizeModes
{
    /// <summary>The name of <paramref name="mode"/>: dynamic_fixed_point, minifloat, integer_power_of_2_weights, integer, binary, ternary.</summary>
    public static string Name(QuantizeMode mode) => mode switch
    {
        QuantizeMode.DynamicFixedPoint => "dynamic_fixed_point",
        QuantizeMode.MiniFloat => "minifloat",
        QuantizeMode.PowerOfTwoWeights => "integer_power_of_2_weights",
        QuantizeMode.Binary => "binary",
        QuantizeMode.Ternary => "ternary",
        _ => "integer",
    };

    /// <summary>The mode named <paramref name="name"/>; one error line for any other text.</summary>
    public static QuantizeMode Parse(string name) =>
        Enum.GetValues<QuantizeMode>().FirstOrDefault(m => Name(m) == name, (QuantizeMode)(-1)) is var mode && mode >= 0 ? mode
        : throw new RistrettoException($"--trimming-mode {name}: expected {string.Join(", ", Enum.GetValues<QuantizeMode>().Select(Name))}");
}

/// <summary>How the search goes over the network.</summary>
public enum SearchKind
{
    /// <summary>Ristretto's sweeps by layer type.</summary>
    PerType,

    /// <summary>Then a greedy per-layer width search by cost (BOPs), with its Pareto front.</summary>
    PerLayer,

    /// <summary>Per-layer weight widths from Hessian-trace sensitivities and an integer program under <see cref="QuantizeSettings.Budget"/>.</summary>
    Hessian,
}

/// <summary>
/// How far a quantized plan may fall from float under a metric: for top-1, top-5 and agreement a drop in percentage
/// points (0–100), for SQNR the lowest output SQNR in dB, for cosine M, the lowest mean similarity being 1 − M/100.
/// A bad value is refused when the margin is built.
/// </summary>
public sealed record ErrorMargin
{
    /// <summary>A margin of <paramref name="value"/> under <paramref name="metric"/>.</summary>
    public ErrorMargin(Metric metric, double value)
    {
        ArgumentNullException.ThrowIfNull(metric);
        metric.Threshold(0, value); // refuses NaN, negatives, and drops beyond 100 points
        Metric = metric;
        Value = value;
    }

    /// <summary>The metric that drives the search.</summary>
    public Metric Metric { get; }

    /// <summary>The margin in the metric's unit.</summary>
    public double Value { get; }

    /// <summary>The default margin of <paramref name="metric"/>: 1 point (Ristretto's tool used 2); SQNR has none and must be given.</summary>
    public static ErrorMargin Default(Metric metric) => metric == Metric.Sqnr
        ? throw new RistrettoException("--metric sqnr needs --error-margin DB: the lowest output SQNR a plan may have (e.g. 30)")
        : new ErrorMargin(metric, 1.0);
}

/// <summary>Per-type widths CONV/FC/ACTIVATIONS, each 1–32 bits; refused when built otherwise.</summary>
public sealed record BitWidths
{
    /// <summary>Widths for conv weights, FC weights and activations.</summary>
    public BitWidths(int conv, int fc, int activations)
    {
        foreach (int b in new[] { conv, fc, activations })
            if (b is < 1 or > 32)
                throw new RistrettoException($"--widths {conv}/{fc}/{activations}: expected CONV/FC/ACTIVATIONS bit-widths from 1 to 32, e.g. 2/2/4");
        (Conv, Fc, Activations) = (conv, fc, activations);
    }

    /// <summary>Conv weight bits.</summary>
    public int Conv { get; }

    /// <summary>FC weight bits.</summary>
    public int Fc { get; }

    /// <summary>Activation bits.</summary>
    public int Activations { get; }

    /// <summary>Parses CONV/FC/ACTIVATIONS, e.g. 2/2/4.</summary>
    public static BitWidths Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new RistrettoException($"--widths {text}: expected CONV/FC/ACTIVATIONS bit-widths from 1 to 32, e.g. 2/2/4");
        int[] b = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new BitWidths(b[0], b[1], b[2]);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Conv}/{Fc}/{Activations}";
}

/// <summary>
/// Everything <see cref="Quantizer"/> needs, named after the <c>quantize</c> verb's options. <see cref="Validate"/>
/// (called by <see cref="Quantizer.Run"/> before any model or data is loaded) refuses combinations that do not go together.
/// </summary>
public sealed record QuantizeSettings
{
    /// <summary>The model: a .rstm, .onnx or Caffe .prototxt file; null or "lenet": the embedded default.</summary>
    public string? Model { get; init; }

    /// <summary>A caffemodel for a prototxt model.</summary>
    public string? Weights { get; init; }

    /// <summary>The device (cpu, cuda, cuda:N); null: CUDA when present.</summary>
    public string? Device { get; init; }

    /// <summary>The evaluated and calibration data.</summary>
    public DataSettings Data { get; init; } = new();

    /// <summary>Whether the data was chosen by the caller (otherwise a Caffe prototxt's TEST data layer may supply it).</summary>
    public bool DataGiven { get; init; }

    /// <summary>The formats searched.</summary>
    public QuantizeMode Mode { get; init; } = QuantizeMode.DynamicFixedPoint;

    /// <summary>Integer mode: what a scale may be (null: float).</summary>
    public ScaleKind? Scale { get; init; }

    /// <summary>Integer mode: one weight scale per output channel.</summary>
    public bool PerChannel { get; init; }

    /// <summary>Integer mode: activations with a zero point where they go negative.</summary>
    public bool Asymmetric { get; init; }

    /// <summary>Integer mode: activation ranges from the MSE-optimal clipping threshold instead of the max (null: max).</summary>
    public bool? MseCalibration { get; init; }

    /// <summary>Whose rules fit formats to the calibrated ranges: this project's (default) or Ristretto's, bit for bit.</summary>
    public Compatibility Compat { get; init; } = Compatibility.None;

    /// <summary>
    /// Dynamic-fixed-point modes: how activation ranges are chosen (<c>--calibration</c>: max, mse, kl, percentile:P); null:
    /// max. In integer mode <see cref="MseCalibration"/> says mse or max, and this kl or percentile:P.
    /// </summary>
    public RangeMethod? ActivationCalibration { get; init; }

    /// <summary>How weight ranges are chosen (<c>--weight-calibration</c>); null: mse for dynamic fixed point (the default per-type sweep also scores output's lengths, <c>RistrettoDfpSearch.AlternativeWeights</c>), max for integer.</summary>
    public RangeMethod? WeightCalibration { get; init; }

    /// <summary>Cross-layer equalization of conv/FC pairs before calibration (<c>--equalize</c>; BatchNorm folded first).</summary>
    public bool Equalize { get; init; }

    /// <summary>AdaRound the chosen plan's weights (<c>--adaround</c>), then score it again.</summary>
    public bool AdaRound { get; init; }

    /// <summary>AdaRound's optimisation steps per layer (<c>--adaround-iterations</c>).</summary>
    public int AdaRoundIterations { get; init; } = 1000;

    /// <summary>Seed of AdaRound's batch order (<c>--seed</c>).</summary>
    public ulong AdaRoundSeed { get; init; } = 1;

    /// <summary>Empirical bias correction of the chosen plan (<c>--bias-correction</c>), then score it again.</summary>
    public bool BiasCorrection { get; init; }

    /// <summary>Write the model with the weights the post-training steps changed here (<c>--out</c>): the plan goes with them.</summary>
    public string? OutPath { get; init; }

    /// <summary>Whether a post-training step changes the network's weights (so the plan goes with the changed model).</summary>
    public bool ChangesWeights => Equalize || AdaRound || BiasCorrection;

    /// <summary>The cost budget of <see cref="SearchKind.Hessian"/> (<c>--budget</c>).</summary>
    public SearchBudget? Budget { get; init; }

    /// <summary>Per-type sweeps, or then a per-layer search.</summary>
    public SearchKind Search { get; init; } = SearchKind.PerType;

    /// <summary>Keep the sweeps' combined widths even when they miss the margin, as Ristretto did.</summary>
    public bool NoWiden { get; init; }

    /// <summary>Skip the sweeps: score the per-type plan with these widths once.</summary>
    public BitWidths? Widths { get; init; }

    /// <summary>Mark the plan's integer formats for fine-tuning to learn their steps.</summary>
    public StepLearning Learning { get; init; } = StepLearning.None;

    /// <summary>How long the per-layer search may take; it then keeps the best plan found so far.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>The metric and margin; null: <see cref="ErrorMargin.Default"/> of top-1.</summary>
    public ErrorMargin? Margin { get; init; }

    /// <summary>More metrics measured on every plan (for the JSON and the report).</summary>
    public IReadOnlyList<Metric> ExtraMetrics { get; init; } = [];

    /// <summary>Also measure the chosen plan's SQNR at every quantized layer's output.</summary>
    public bool PerLayerSqnr { get; init; }

    /// <summary>Test batch size.</summary>
    public int BatchSize { get; init; } = 100;

    /// <summary>Write the chosen plan (JSON) here.</summary>
    public string? PlanPath { get; init; }

    /// <summary>Write the quantized network as a Ristretto prototxt here (and its weights beside it as .caffemodel).</summary>
    public string? QuantizedModelPath { get; init; }

    /// <summary>Write the cost report of every scored plan to this folder.</summary>
    public string? ReportFolder { get; init; }

    /// <summary>
    /// Fan the search's rounds out as numbered trials in a work folder, run by a launcher (local pool, Slurm, Kubernetes);
    /// null: every plan is scored in this process.
    /// </summary>
    public ScaleOut.ScaleOutSettings? ScaleOut { get; init; }

    /// <summary>The margin that applies.</summary>
    public ErrorMargin EffectiveMargin => Margin ?? ErrorMargin.Default(Metric.Top1);

    /// <summary>Layers left in float32 whatever the mode (<c>--keep-float-layers</c>: first and last layers, usually).</summary>
    public IReadOnlyList<string> KeepFloatLayers { get; init; } = [];

    /// <summary>Logarithmic activations (<c>--log-activations</c>): 1 for base 2, 2 for base √2; null: the mode's own.</summary>
    public int? LogActivations { get; init; }

    /// <summary>The binary or ternary scheme of <see cref="QuantizeMode.Binary"/> and <see cref="QuantizeMode.Ternary"/> (null otherwise).</summary>
    public Search.TwoLevelScheme? TwoLevel => Mode is QuantizeMode.Binary or QuantizeMode.Ternary
        ? new Search.TwoLevelScheme(Mode == QuantizeMode.Ternary, PerChannel) : null;

    /// <summary>The widths scored when none are given: binary and ternary score their weights with 8-bit activations.</summary>
    public BitWidths? DefaultWidths => TwoLevel is { } t ? new BitWidths(t.WeightBits, t.WeightBits, 8) : null;

    /// <summary>The integer scheme of <see cref="QuantizeMode.Integer"/>.</summary>
    public Search.IntegerScheme Scheme => new(Scale ?? ScaleKind.Float, PerChannel, Asymmetric, MseCalibration ?? false)
    {
        WeightRange = Mode == QuantizeMode.Integer ? WeightCalibration : null, ActivationRange = Mode == QuantizeMode.Integer ? ActivationCalibration : null,
    };

    /// <summary>Refuses settings that do not go together, in one line naming the options.</summary>
    public QuantizeSettings Validate()
    {
        const string integer = "integer";
        if (Mode != QuantizeMode.Integer && (Scale is not null || Asymmetric || MseCalibration is not null || (PerChannel && TwoLevel is null)))
            throw new RistrettoException($"--scale, --per-channel and --asymmetric go with --trimming-mode {integer} (--per-channel also with binary and ternary)");
        if (TwoLevel is { } two)
        {
            string mode = QuantizeModes.Name(Mode);
            if (Widths is { } given && (given.Conv != two.WeightBits || given.Fc != two.WeightBits))
                throw new RistrettoException($"--widths {given}: --trimming-mode {mode} has {two.WeightBits}-bit weights, so CONV and FC must be {two.WeightBits} (e.g. {two.WeightBits}/{two.WeightBits}/8)");
            if (Search == SearchKind.PerLayer || NoWiden || Compat == Compatibility.Ristretto || WeightCalibration is not null || QuantizedModelPath is not null)
                throw new RistrettoException($"--trimming-mode {mode} scores one plan: it does not go with --search per-layer, --no-widen, --compat ristretto, --weight-calibration or --model-quantized");
        }
        if ((KeepFloatLayers.Count > 0 || LogActivations is not null) && (Mode is QuantizeMode.MiniFloat or QuantizeMode.PowerOfTwoWeights || Search == SearchKind.PerLayer))
            throw new RistrettoException("--keep-float-layers and --log-activations go with --trimming-mode dynamic_fixed_point, integer, binary or ternary and --search per-type");
        if (LogActivations is { } steps && steps is not (1 or 2))
            throw new RistrettoException($"--log-activations: the base is 2 or sqrt2");
        if (LogActivations is not null && QuantizedModelPath is not null)
            throw new RistrettoException("--model-quantized writes Ristretto's prototxt, which has no log formats: write the plan with --plan");
        if ((ActivationCalibration is not null || WeightCalibration is not null) && Compat == Compatibility.Ristretto)
            throw new RistrettoException("--calibration and --weight-calibration choose ranges by error; --compat ristretto keeps Ristretto's ranges from the maximum");
        if (Mode is QuantizeMode.MiniFloat && (ActivationCalibration is not null || WeightCalibration is not null))
            throw new RistrettoException("--calibration and --weight-calibration are not implemented for minifloat's exponent bias yet");
        if (Mode is QuantizeMode.Integer && WeightCalibration is { Kind: "kl" or "output" })
            throw new RistrettoException($"--trimming-mode {integer} takes --weight-calibration max, mse or percentile:P ({WeightCalibration} is for dynamic fixed point)");
        if (ActivationCalibration is { Kind: "output" })
            throw new RistrettoException("--calibration output: the output error chooses weight ranges (--weight-calibration output); activations take max, mse, kl or percentile:P");
        if (Mode is QuantizeMode.Integer && Asymmetric && ActivationCalibration is { Kind: "percentile" or "kl" })
            throw new RistrettoException($"--asymmetric activations take --calibration max or mse (their range is min to max)");
        if (Compat == Compatibility.Ristretto && Mode == QuantizeMode.Integer)
            throw new RistrettoException($"--compat ristretto keeps Ristretto's trimming modes; it does not go with --trimming-mode {integer}");
        if (QuantizedModelPath is not null && Compat == Compatibility.None && Mode is QuantizeMode.DynamicFixedPoint or QuantizeMode.PowerOfTwoWeights)
            throw new RistrettoException($"--model-quantized writes Ristretto's prototxt, which has no field for this project's default formats (unsigned activations, a bias format of its own): add --compat ristretto, or write the plan with --plan");
        if (Search == SearchKind.Hessian && (Mode != QuantizeMode.DynamicFixedPoint || Budget is null || Widths is not null || Compat == Compatibility.Ristretto))
            throw new RistrettoException("--search hessian works with dynamic_fixed_point (not --compat ristretto, not --widths) and needs --budget bops=N|energy-uj=X|memory-kib=Y");
        if (Budget is not null && Search != SearchKind.Hessian)
            throw new RistrettoException("--budget goes with --search hessian");
        if (Search == SearchKind.PerLayer && Mode != QuantizeMode.DynamicFixedPoint)
            throw new RistrettoException("--search per-layer works with dynamic_fixed_point only");
        if (Widths != null && (Mode is not (QuantizeMode.DynamicFixedPoint or QuantizeMode.Integer or QuantizeMode.Binary or QuantizeMode.Ternary) || Search == SearchKind.PerLayer))
            throw new RistrettoException("--widths goes with --trimming-mode dynamic_fixed_point, integer, binary or ternary and --search per-type");
        if (NoWiden && (Widths != null || Mode is not (QuantizeMode.DynamicFixedPoint or QuantizeMode.Integer)))
            throw new RistrettoException("--no-widen goes with the sweeps of --trimming-mode dynamic_fixed_point or integer (not with --widths)");
        if (Learning == StepLearning.Ttq && TwoLevel is null)
            throw new RistrettoException("--learn-steps ttq trains the α of binary or ternary weights: it goes with --trimming-mode binary or ternary");
        if (Learning is StepLearning.Lsq or StepLearning.LsqPlus && Mode != QuantizeMode.Integer)
            throw new RistrettoException($"--learn-steps trains integer scales: it goes with --trimming-mode {integer}");
        if (ChangesWeights && Compat == Compatibility.Ristretto)
            throw new RistrettoException("--equalize, --adaround and --bias-correction change the weights; --compat ristretto keeps Ristretto's procedure");
        if ((AdaRound || BiasCorrection) && Mode is not (QuantizeMode.DynamicFixedPoint or QuantizeMode.Integer))
            throw new RistrettoException($"--adaround and --bias-correction go with --trimming-mode dynamic_fixed_point or {integer}");
        if (AdaRoundIterations < 1)
            throw new RistrettoException($"--adaround-iterations must be ≥ 1, got {AdaRoundIterations}");
        if (ChangesWeights && PlanPath is not null && OutPath is null)
            throw new RistrettoException("--equalize, --adaround and --bias-correction change the weights, so the plan goes with the changed model: give --out MODEL (.rstm, .onnx or .prototxt) with --plan");
        if (OutPath is not null && !ChangesWeights)
            throw new RistrettoException("--out writes the weights --equalize, --adaround or --bias-correction changed; without them the model is unchanged");
        if (OutPath is { } o && Path.GetExtension(o).ToLowerInvariant() is not (".rstm" or ".onnx" or ".prototxt"))
            throw new RistrettoException($"--out {o}: expected a .rstm, .onnx or .prototxt file");
        if (TimeBudget is { } t && t <= TimeSpan.Zero)
            throw new RistrettoException($"--time-budget must be positive, got {t.TotalSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (BatchSize < 1)
            throw new RistrettoException($"--batch-size must be ≥ 1, got {BatchSize}");
        ScaleOut?.Validate();
        _ = EffectiveMargin;
        return this;
    }
}
