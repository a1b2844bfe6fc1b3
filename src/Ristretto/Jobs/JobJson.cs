using System.Globalization;
using System.Text.Json;
using Ristretto.Evaluation;
using Ristretto.IO;

namespace Ristretto.Jobs;

/// <summary>
/// The JSON the jobs write (the CLI's <c>--json</c> files): written atomically, with NaN and ∞ as null, and the
/// shared pieces of every result record (accuracy, scores).
/// </summary>
public static class JobJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Converters = { new FiniteOrNull() } };

    /// <summary>Numbers that have no JSON form (NaN: top-1 of unlabelled data; ∞: the SQNR of identical outputs) are written as null.</summary>
    private sealed class FiniteOrNull : System.Text.Json.Serialization.JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
                writer.WriteNumberValue(value);
            else
                writer.WriteNullValue();
        }
    }

    /// <summary>The text <see cref="Write"/> puts in a file: indented, NaN and ∞ as null.</summary>
    public static string Serialize(object report) => JsonSerializer.Serialize(report, Options) + "\n";

    /// <summary>Writes any serialisable object; nothing when <paramref name="path"/> is null or blank.</summary>
    public static void Write(string? path, object report)
    {
        if (string.IsNullOrWhiteSpace(path))
            return;
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        AtomicFile.WriteText(path, Serialize(report));
    }

    /// <summary>The accuracy report of <c>train</c> and <c>test</c>: <c>{"top1","top5","images","seconds"}</c>.</summary>
    public static Dictionary<string, object> Accuracy(EvalResult r)
    {
        var report = new Dictionary<string, object>
        {
            ["top1"] = r.Top1,
            ["top5"] = r.Top5,
            ["images"] = r.Images,
            ["seconds"] = Math.Round(r.Seconds, 3),
        };
        foreach (var (key, value) in r.Metrics)
            report[key] = value;
        return report;
    }

    /// <summary>The scores of a plan: top-1, top-5 and every fidelity metric measured, keyed as <see cref="Metric.Key"/>.</summary>
    public static Dictionary<string, double> Scores(EvalResult r)
    {
        var scores = new Dictionary<string, double> { ["top1"] = r.Top1, ["top5"] = r.Top5 };
        foreach (var (key, value) in r.Metrics)
            scores[key] = value;
        return scores;
    }

    /// <summary>One line for the terminal.</summary>
    public static string Describe(EvalResult r)
    {
        string labels = double.IsNaN(r.Top1) ? "unlabelled" : string.Create(CultureInfo.InvariantCulture, $"top-1 {r.Top1:F4}  top-5 {r.Top5:F4}");
        string fidelity = string.Concat(Metric.All.Where(m => r.Metrics.ContainsKey(m.Key)).Select(m => $"  {m.Title} {m.Format(r.Metrics[m.Key])}"));
        return string.Create(CultureInfo.InvariantCulture, $"{labels}{fidelity}  on {r.Images:N0} images in {r.Seconds:F2} s ({r.Throughput:N0} images/s)");
    }
}
