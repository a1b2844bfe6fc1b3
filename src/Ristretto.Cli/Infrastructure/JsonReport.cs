using System.Globalization;
using System.Text.Json;
using Ristretto.Evaluation;
using Ristretto.IO;

namespace Ristretto.Cli.Infrastructure;

/// <summary>Writes <c>--json</c> files atomically.</summary>
public static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>Writes any serialisable object.</summary>
    public static void Write(string? path, object report)
    {
        if (string.IsNullOrWhiteSpace(path))
            return;
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        AtomicFile.WriteText(path, JsonSerializer.Serialize(report, Options) + "\n");
    }

    /// <summary>The accuracy report of <c>train</c> and <c>test</c>: <c>{"top1","top5","images","seconds"}</c>.</summary>
    public static Dictionary<string, object> Accuracy(EvalResult r) => new()
    {
        ["top1"] = r.Top1,
        ["top5"] = r.Top5,
        ["images"] = r.Images,
        ["seconds"] = Math.Round(r.Seconds, 3),
    };

    /// <summary>One line for the terminal.</summary>
    public static string Describe(EvalResult r) => string.Create(CultureInfo.InvariantCulture,
        $"top-1 {r.Top1:F4}  top-5 {r.Top5:F4}  on {r.Images:N0} images in {r.Seconds:F2} s ({r.Throughput:N0} images/s)");
}
