using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ristretto.Formats;
using Ristretto.IO;

namespace Ristretto.Quantization;

/// <summary>
/// Reads and writes a <see cref="QuantizationPlan"/> as JSON, so any command can apply a plan to the float
/// model: <c>{"version": 2, "description": …, "layers": {"conv1": {"weights": {"kind": "dfp", "bw": 8, "fl": 7}, "bias": …,
/// "input": …, "output": …, "rounding": "nearest", "learn": "lsq"}}, "accuracy": {"top1": …, "top5": …}}</c>
/// ("learn": lsq or lsq+ asks fine-tuning to train the integer scales; it and accuracy are optional).
/// Version 2 (issue 15) added the unsigned dynamic fixed point (<c>"signed": false</c>); version 3 (issue 16) added log
/// formats (<c>{"kind": "log", "bw", "base": "2"|"sqrt2", "exp_max", "signed"}</c>) and, on activation layers, an
/// <c>"approximation"</c> (<see cref="ActivationApproximation"/>: pwl or lut); a file without "version" is
/// version 1 and loads as before; a newer version is refused in one line.
/// Formats: dfp (bw, fl, signed), minifloat (exp_bits, mant_bits), pow2 (exp_min, exp_max, zero), int (bw, signed,
/// scales, zero_points, axis, narrow, scale_kind float|fixed|pow2, scale_frac_bits), binary (alpha),
/// ternary (threshold, alpha). Floats are written in their shortest round-trip form, so a plan reloads
/// bit for bit. Written atomically.
/// </summary>
public static class PlanFile
{
    private static readonly string[] Parts = ["weights", "bias", "input", "output"];

    /// <summary>The version this build writes, and the newest it reads.</summary>
    public const int Version = 3;

    /// <summary>Writes <paramref name="plan"/> to <paramref name="path"/>.</summary>
    /// <param name="path">Where to write.</param>
    /// <param name="plan">The plan.</param>
    /// <param name="accuracy">Top-1/top-5 (fractions) the plan scored, recorded for reports.</param>
    public static void Save(string path, QuantizationPlan plan, (double Top1, double Top5)? accuracy = null)
        => AtomicFile.WriteText(path, Serialize(plan, accuracy));

    /// <summary>The JSON text of <paramref name="plan"/> (what <see cref="Save"/> writes).</summary>
    public static string Serialize(QuantizationPlan plan, (double Top1, double Top5)? accuracy = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var layers = new JsonObject();
        foreach (var (name, spec) in plan.Layers)
        {
            var layer = new JsonObject();
            NumberFormat?[] formats = [spec.Weights, spec.Bias, spec.Input, spec.Output];
            for (int i = 0; i < Parts.Length; i++)
                if (formats[i] is { } f)
                    layer[Parts[i]] = ToJson(f);
            layer["rounding"] = spec.Rounding == Rounding.Nearest ? "nearest" : "stochastic";
            if (spec.Learning != StepLearning.None)
                layer["learn"] = LearningName(spec.Learning);
            if (spec.Approximation is { } approximation)
                layer["approximation"] = approximation.ToJson();
            layers[name] = layer;
        }
        var root = new JsonObject { ["version"] = Version, ["description"] = plan.Description, ["layers"] = layers };
        if (accuracy is var (top1, top5))
            root["accuracy"] = new JsonObject { ["top1"] = top1, ["top5"] = top5 };
        // Relaxed escaping keeps "lsq+" and non-ASCII descriptions readable (the file is never embedded in HTML).
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    /// <summary>Reads a plan; a malformed file or an unknown format is a <see cref="RistrettoException"/>.</summary>
    public static QuantizationPlan Load(string path)
    {
        if (!File.Exists(path))
            throw new RistrettoException($"plan file {path} does not exist");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Reads a plan from JSON text; <paramref name="path"/> names its source in errors.</summary>
    public static QuantizationPlan Parse(string text, string path)
    {
        JsonNode? root;
        try
        {
            // Duplicate keys are refused while parsing; JsonObject would otherwise throw an ArgumentException at first access.
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new RistrettoException($"plan file {path} is not valid JSON: {e.Message.Split('\n')[0]}", e);
        }
        if (root is not JsonObject top)
            throw new RistrettoException($"plan file {path} has no \"layers\" object");
        if (top["version"] is { } version)
        {
            int? v = version.GetValueKind() == JsonValueKind.Number && version.AsValue().TryGetValue(out int n) ? n : null;
            if (v is not { } known || known < 1)
                throw new RistrettoException($"plan file {path}: \"version\" must be a positive integer, got {version.ToJsonString()}");
            if (known > Version)
                throw new RistrettoException($"plan file {path} is version {known}; this build reads plan files up to version {Version}");
        }
        if (top["layers"] is not JsonObject layers)
            throw new RistrettoException($"plan file {path} has no \"layers\" object");
        var result = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        foreach (var (name, node) in layers)
        {
            if (node is not JsonObject layer)
                throw new RistrettoException($"plan file {path}: layer '{name}' is not an object");
            var formats = Parts.Select(p => layer[p] is { } f ? FromJson(f, $"{path}: layer '{name}' {p}") : null).ToArray();
            var rounding = Text(layer["rounding"], $"{path}: layer '{name}': \"rounding\"") switch
            {
                null or "nearest" => Rounding.Nearest,
                "stochastic" => Rounding.Stochastic,
                var other => throw new RistrettoException($"{path}: layer '{name}': unknown rounding '{other}' (nearest or stochastic)"),
            };
            var learnText = Text(layer["learn"], $"{path}: layer '{name}': \"learn\"") ?? "none";
            var learning = ParseLearning(learnText)
                ?? throw new RistrettoException($"{path}: layer '{name}': unknown \"learn\" '{learnText}' (none, lsq, lsq+ or ttq)");
            var approximation = layer["approximation"] is { } a ? Approximation(a, $"{path}: layer '{name}' approximation") : null;
            var spec = new LayerQuantization(formats[0], formats[1], formats[2], formats[3], rounding, learning, approximation);
            if (learning is StepLearning.Lsq or StepLearning.LsqPlus && new[] { spec.Weights, spec.Input, spec.Output }.All(f => f is not IntegerFormat))
                throw new RistrettoException($"{path}: layer '{name}' asks for learned steps (\"learn\": \"{LearningName(learning)}\") but has no int format");
            if (learning == StepLearning.Ttq && spec.Weights is not (BinaryFormat or TernaryFormat))
                throw new RistrettoException($"{path}: layer '{name}' asks for a learned α (\"learn\": \"ttq\") but its weights are not binary or ternary");
            result[name] = spec;
        }
        return new QuantizationPlan(result, Text(top["description"], $"plan file {path}: \"description\"") ?? "");
    }

    /// <summary>A string member, or null where it is absent; any other JSON value is one error naming <paramref name="where"/>.</summary>
    private static string? Text(JsonNode? node, string where) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => throw new RistrettoException($"{where} must be a string, not {Shorten(node.ToJsonString())}"),
    };

    private static string Shorten(string json) => json.Length > 40 ? json[..40] + "…" : json;

    /// <summary>The plan-file name of a <see cref="StepLearning"/>: none, lsq, lsq+.</summary>
    public static string LearningName(StepLearning learning) => learning switch
    {
        StepLearning.Lsq => "lsq",
        StepLearning.LsqPlus => "lsq+",
        StepLearning.Ttq => "ttq",
        _ => "none",
    };

    /// <summary>The <see cref="StepLearning"/> a plan-file name (none, lsq, lsq+) stands for; null for any other text.</summary>
    public static StepLearning? ParseLearning(string name) => name switch
    {
        "none" => StepLearning.None,
        "lsq" => StepLearning.Lsq,
        "lsq+" => StepLearning.LsqPlus,
        "ttq" => StepLearning.Ttq,
        _ => null,
    };

    private static JsonObject ToJson(NumberFormat format) => format.ToJson();

    private static ActivationApproximation Approximation(JsonNode node, string where)
    {
        try
        {
            return ActivationApproximation.FromJson(node);
        }
        catch (Exception e) when (e is RistrettoException or InvalidOperationException or FormatException)
        {
            throw new RistrettoException($"{where}: {e.Message}", e);
        }
    }

    private static NumberFormat FromJson(JsonNode node, string where)
    {
        try
        {
            return FormatRegistry.FromJson(node);
        }
        catch (Exception e) when (e is RistrettoException or InvalidOperationException or FormatException)
        {
            throw new RistrettoException($"{where}: {e.Message}", e);
        }
    }
}
