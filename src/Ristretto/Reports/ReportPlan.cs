using System.Text.Json;
using System.Text.Json.Nodes;
using Ristretto.Quantization;

namespace Ristretto.Reports;

/// <summary>One plan to report on: its name, the frozen plan and, when known, its accuracy.</summary>
/// <param name="Name">Short name shown in tables and charts (a plan file's name without extension).</param>
/// <param name="Plan">The plan.</param>
/// <param name="Accuracy">Its accuracy, or null (the plan then appears in tables but not in the accuracy-vs-energy chart).</param>
public sealed record ReportPlan(string Name, QuantizationPlan Plan, PlanAccuracy? Accuracy = null)
{
    /// <summary>The float32 baseline's name.</summary>
    public const string BaselineName = "float32";

    /// <summary>
    /// Reads a plan file (<see cref="PlanFile"/>: formats per layer) and its optional top-level
    /// <c>"accuracy": {"top1": x, "top5": y}</c> (fractions). A malformed file or an unknown format kind is a
    /// <see cref="RistrettoException"/> naming the file.
    /// </summary>
    public static ReportPlan Load(string path)
    {
        var plan = PlanFile.Load(path);
        JsonNode? accuracy;
        try
        {
            accuracy = JsonNode.Parse(File.ReadAllText(path))?["accuracy"];
        }
        catch (JsonException e)
        {
            throw new RistrettoException($"plan file {path} is not valid JSON: {e.Message.Split('\n')[0]}", e);
        }
        return new ReportPlan(Path.GetFileNameWithoutExtension(path), plan, accuracy is null ? null : ReadAccuracy(accuracy, path));
    }

    private static PlanAccuracy ReadAccuracy(JsonNode node, string path)
    {
        try
        {
            if (node is not JsonObject o || o["top1"] is null)
                throw new RistrettoException("\"accuracy\" must be an object with \"top1\" (and optionally \"top5\")");
            return new PlanAccuracy((double)o["top1"]!, o["top5"] is { } t5 ? (double)t5 : null, "plan file").Validated(path);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new RistrettoException($"plan file {path}: \"accuracy\" values must be numbers", e);
        }
        catch (RistrettoException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new RistrettoException($"plan file {path}: {e.Message}", e);
        }
    }
}
