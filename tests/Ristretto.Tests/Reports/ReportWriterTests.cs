using System.Text.Json;
using System.Text.RegularExpressions;
using Ristretto.Hardware;
using Ristretto.Quantization;
using Ristretto.Reports;
using Ristretto.Tests.Support;
using Ristretto.Zoo;

namespace Ristretto.Tests.Reports;

public class ReportWriterTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void Should_Write_Markdown_Html_Json_And_Figures_For_LeNet_With_Three_Plans()
    {
        using var net = LeNet.Build();
        using var dir = new TempDir();
        var result = ReportWriter.Write(net, ReportFixture.Plans(), null, dir.File("report"));

        var json = JsonDocument.Parse(File.ReadAllText(result.Json)).RootElement;
        var plans = json.GetProperty("plans").EnumerateArray().ToList();
        Assert.Equal(["float32", "dfp8", "pow2", "dfp4"], plans.Select(p => p.GetProperty("name").GetString()));
        Assert.All(plans, p => Assert.Equal(2_293_000, p.GetProperty("totals").GetProperty("macs").GetInt64()));
        Assert.All(plans, p => Assert.Equal(431_080, p.GetProperty("totals").GetProperty("params").GetInt64()));
        // The same numbers as the cost model gives directly.
        for (int i = 1; i < plans.Count; i++)
        {
            var expected = NetworkCostModel.Compute(net, ReportFixture.Plans()[i - 1].Plan);
            Assert.Equal(expected.Energy.Total, plans[i].GetProperty("totals").GetProperty("energy_pj").GetProperty("total").GetDouble(), 1e-6);
            Assert.Equal(expected.Bops, plans[i].GetProperty("totals").GetProperty("bops").GetDouble());
        }
        // dfp8 weights: 431,080 × 8 bits (biases 8-bit too) against 32: 4× less weight memory.
        Assert.Equal(4.0, plans[1].GetProperty("vs_float32").GetProperty("weight_memory_ratio").GetDouble(), 1e-12);
        Assert.Equal(["float32", "dfp4"], json.GetProperty("without_accuracy").EnumerateArray().Select(e => e.GetString()));

        // Pareto front by the definition, over the plans with an accuracy.
        var scored = plans.Where(p => p.GetProperty("accuracy").ValueKind != JsonValueKind.Null)
            .Select(p => (Name: p.GetProperty("name").GetString()!, E: p.GetProperty("totals").GetProperty("energy_pj").GetProperty("total").GetDouble(),
                A: p.GetProperty("accuracy").GetProperty("top1").GetDouble())).ToList();
        var front = scored.Where(p => !scored.Any(q => q != p && q.E <= p.E && q.A >= p.A && (q.E < p.E || q.A > p.A))).Select(p => p.Name).ToList();
        Assert.Equal(front.Order(), json.GetProperty("pareto_front").EnumerateArray().Select(e => e.GetString()!).Order());
        Assert.NotEmpty(front);

        string md = File.ReadAllText(result.Markdown);
        Assert.Contains("Horowitz", md, StringComparison.Ordinal);
        Assert.Contains("Plans without an accuracy appear in the tables but not in this chart: float32, dfp4", md, StringComparison.Ordinal);
        foreach (Match m in Regex.Matches(md, @"\]\((figures/[^)]+)\)"))
            Assert.True(File.Exists(Path.Combine(result.Folder, m.Groups[1].Value)), m.Groups[1].Value);
        // 4 weighted layers × 3 plans that trim weights, plus 4 summary charts; PNG and SVG each.
        Assert.Equal(2 * (4 + 12), Directory.GetFiles(Path.Combine(result.Folder, "figures")).Length);
        foreach (var png in Directory.GetFiles(Path.Combine(result.Folder, "figures"), "*.png"))
            Assert.Equal(PngSignature, File.ReadAllBytes(png)[..8]);
        foreach (var svg in Directory.GetFiles(Path.Combine(result.Folder, "figures"), "*.svg"))
            Assert.Contains("<svg", File.ReadAllText(svg), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Make_The_Html_Self_Contained()
    {
        using var net = LeNet.Build();
        using var dir = new TempDir();
        var result = ReportWriter.Write(net, ReportFixture.Plans(), null, dir.File("r"));
        string html = File.ReadAllText(result.Html);
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        var sources = Regex.Matches(html, "<img [^>]*src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(16, sources.Count);
        foreach (var src in sources)
        {
            Assert.StartsWith("data:image/png;base64,", src, StringComparison.Ordinal);
            Assert.Equal(PngSignature, Convert.FromBase64String(src["data:image/png;base64,".Length..])[..8]);
        }
        Assert.Contains("class=\"pareto\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_Refuse_A_Plan_Naming_A_Missing_Layer_And_Write_Nothing()
    {
        using var net = LeNet.Build();
        using var dir = new TempDir();
        var bad = new QuantizationPlan(ReportFixture.Dfp(8).Layers.Append(new("conv7", ReportFixture.Dfp(8).Layers["conv1"])).ToDictionary(kv => kv.Key, kv => kv.Value));
        var e = Assert.Throws<RistrettoException>(() => ReportWriter.Write(net, [new ReportPlan("bad", bad)], null, dir.File("out")));
        Assert.Equal("plan bad: layer 'conv7' is not in network lenet (it has conv1, conv2, ip1, ip2)", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Should_Refuse_A_Plan_Missing_A_Layer_Unless_Float_Layers_Are_Allowed()
    {
        using var net = LeNet.Build();
        using var dir = new TempDir();
        var partial = new QuantizationPlan(ReportFixture.Dfp(8).Layers.Where(kv => kv.Key != "conv2").ToDictionary(kv => kv.Key, kv => kv.Value));
        var e = Assert.Throws<RistrettoException>(() => ReportWriter.Write(net, [new ReportPlan("partial", partial)], null, dir.File("out")));
        Assert.Contains("plan partial has no entry for layer 'conv2'", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("out")));
        var result = ReportWriter.Write(net, [new ReportPlan("partial", partial)], new ReportOptions { AllowFloatLayers = true }, dir.File("out"));
        var conv2 = result.Data.Plans[1].Cost.Layers.Single(l => l.Name == "conv2");
        Assert.Equal(MacKind.Float32, conv2.Scheme.Mac);
    }

    [Fact]
    public void Should_Replace_An_Existing_Report_Folder_Whole()
    {
        using var net = LeNet.Build();
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("out"));
        File.WriteAllText(dir.File("out/stale.txt"), "old");
        ReportWriter.Write(net, [], null, dir.File("out"));
        Assert.False(File.Exists(dir.File("out/stale.txt")));
        Assert.True(File.Exists(dir.File("out/report.html")));
        Assert.Equal(["out"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Should_Keep_The_Old_Folder_When_Writing_Fails()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("out"));
        File.WriteAllText(dir.File("out/keep.txt"), "old");
        Assert.Throws<InvalidOperationException>(() => ReportFolder.Write(dir.File("out"), d =>
        {
            File.WriteAllText(Path.Combine(d, "half.txt"), "x");
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal("old", File.ReadAllText(dir.File("out/keep.txt")));
        Assert.Equal(["out"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Should_Read_Accuracy_From_A_Plan_File_And_Refuse_An_Unknown_Format_Kind()
    {
        using var dir = new TempDir();
        string path = ReportFixture.WritePlan(dir.Path, "p", ReportFixture.Dfp(6), top1: 0.97);
        var plan = ReportPlan.Load(path);
        Assert.Equal("p", plan.Name);
        Assert.Equal(0.97, plan.Accuracy!.Top1);
        Assert.Equal(new Ristretto.Formats.DynamicFixedPoint(6, 5), plan.Plan.Layers["conv1"].Weights);

        File.WriteAllText(dir.File("bad.json"), File.ReadAllText(path).Replace("\"dfp\"", "\"posit\"", StringComparison.Ordinal));
        var e = Assert.Throws<RistrettoException>(() => ReportPlan.Load(dir.File("bad.json")));
        Assert.Contains("unknown format kind 'posit'", e.Message, StringComparison.Ordinal);

        File.WriteAllText(dir.File("acc.json"), File.ReadAllText(path).Replace("0.97", "97", StringComparison.Ordinal));
        var a = Assert.Throws<RistrettoException>(() => ReportPlan.Load(dir.File("acc.json")));
        Assert.Contains("top1 must be a fraction in [0, 1], got 97", a.Message, StringComparison.Ordinal);
    }
}
