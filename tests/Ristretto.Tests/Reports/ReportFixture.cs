using Ristretto.Formats;
using Ristretto.Quantization;
using Ristretto.Reports;

namespace Ristretto.Tests.Reports;

/// <summary>Plans for LeNet that the report tests share, and a plan file writer.</summary>
internal static class ReportFixture
{
    public static readonly string[] Layers = ["conv1", "conv2", "ip1", "ip2"];

    public static QuantizationPlan Dfp(int bits) => new(Layers.ToDictionary(n => n, _ => new LayerQuantization(
        new DynamicFixedPoint(bits, bits - 1), new DynamicFixedPoint(bits, bits - 1), new DynamicFixedPoint(8, 6), new DynamicFixedPoint(8, 4))), $"dfp {bits}-bit");

    public static QuantizationPlan PowerOfTwo() => new(Layers.ToDictionary(n => n, _ => new LayerQuantization(
        new PowerOfTwo(-8, -1), new DynamicFixedPoint(8, 7), new DynamicFixedPoint(8, 6), new DynamicFixedPoint(8, 4))), "power-of-two weights");

    public static List<ReportPlan> Plans() =>
    [
        new("dfp8", Dfp(8), new PlanAccuracy(0.985, 0.999, "test")),
        new("pow2", PowerOfTwo(), new PlanAccuracy(0.975, null, "test")),
        new("dfp4", Dfp(4)),
    ];

    /// <summary>Writes <paramref name="plan"/> as a plan file, with an "accuracy" object when <paramref name="top1"/> is given.</summary>
    public static string WritePlan(string dir, string name, QuantizationPlan plan, double? top1 = null)
    {
        string path = Path.Combine(dir, name + ".json");
        PlanFile.Save(path, plan);
        if (top1 is { } t)
        {
            var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            root["accuracy"] = new System.Text.Json.Nodes.JsonObject { ["top1"] = t, ["top5"] = 1.0 };
            File.WriteAllText(path, root.ToJsonString());
        }
        return path;
    }
}
