using System.Text.Json;
using System.Text.Json.Nodes;
using Ristretto.Formats;
using Ristretto.IO;

namespace Ristretto.Quantization;

/// <summary>
/// Reads and writes a <see cref="QuantizationPlan"/> as JSON, so any command can apply a plan to the float
/// model: <c>{"description": …, "layers": {"conv1": {"weights": {"kind": "dfp", "bw": 8, "fl": 7}, "bias": …,
/// "input": …, "output": …, "rounding": "nearest"}}}</c>. Formats: dfp (bw, fl), minifloat (exp_bits,
/// mant_bits), pow2 (exp_min, exp_max, zero). Written atomically.
/// </summary>
public static class PlanFile
{
    private static readonly string[] Parts = ["weights", "bias", "input", "output"];

    /// <summary>Writes <paramref name="plan"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, QuantizationPlan plan)
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
            layers[name] = layer;
        }
        var root = new JsonObject { ["description"] = plan.Description, ["layers"] = layers };
        AtomicFile.WriteText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Reads a plan; a malformed file or an unknown format is a <see cref="RistrettoException"/>.</summary>
    public static QuantizationPlan Load(string path)
    {
        if (!File.Exists(path))
            throw new RistrettoException($"plan file {path} does not exist");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new RistrettoException($"plan file {path} is not valid JSON: {e.Message.Split('\n')[0]}", e);
        }
        if (root?["layers"] is not JsonObject layers)
            throw new RistrettoException($"plan file {path} has no \"layers\" object");
        var result = new Dictionary<string, LayerQuantization>(StringComparer.Ordinal);
        foreach (var (name, node) in layers)
        {
            if (node is not JsonObject layer)
                throw new RistrettoException($"plan file {path}: layer '{name}' is not an object");
            var formats = Parts.Select(p => layer[p] is { } f ? FromJson(f, $"{path}: layer '{name}' {p}") : null).ToArray();
            var rounding = (string?)layer["rounding"] switch
            {
                null or "nearest" => Rounding.Nearest,
                "stochastic" => Rounding.Stochastic,
                var other => throw new RistrettoException($"{path}: layer '{name}': unknown rounding '{other}' (nearest or stochastic)"),
            };
            result[name] = new LayerQuantization(formats[0], formats[1], formats[2], formats[3], rounding);
        }
        return new QuantizationPlan(result, (string?)root["description"] ?? "");
    }

    private static JsonObject ToJson(NumberFormat format) => format switch
    {
        DynamicFixedPoint d => new JsonObject { ["kind"] = "dfp", ["bw"] = d.BitWidth, ["fl"] = d.FractionalLength },
        MiniFloat m => new JsonObject { ["kind"] = "minifloat", ["exp_bits"] = m.ExponentBits, ["mant_bits"] = m.MantissaBits },
        PowerOfTwo p => new JsonObject { ["kind"] = "pow2", ["exp_min"] = p.MinExponent, ["exp_max"] = p.MaxExponent, ["zero"] = p.ZeroRepresentable },
        _ => throw new RistrettoException($"plan files cannot hold {format.Kind} formats yet"),
    };

    private static NumberFormat FromJson(JsonNode node, string where)
    {
        try
        {
            return (string?)node["kind"] switch
            {
                "dfp" => new DynamicFixedPoint(Int(node, "bw"), Int(node, "fl")),
                "minifloat" => new MiniFloat(Int(node, "exp_bits"), Int(node, "mant_bits")),
                "pow2" => new PowerOfTwo(Int(node, "exp_min"), Int(node, "exp_max"), (bool?)node["zero"] ?? true),
                var kind => throw new RistrettoException($"unknown format kind '{kind}' (dfp, minifloat, pow2)"),
            };
        }
        catch (Exception e) when (e is RistrettoException or InvalidOperationException or FormatException)
        {
            throw new RistrettoException($"{where}: {e.Message}", e);
        }
    }

    private static int Int(JsonNode node, string key) =>
        node[key] is { } v ? (int)v : throw new RistrettoException($"missing \"{key}\"");
}
