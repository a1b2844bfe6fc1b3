using System.Text.Json;
using Ristretto.Tests.Interchange.Caffe;
using Ristretto.Tests.Reports;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Cli;

[Collection("cli")]
public class ReportCommandTests
{
    private static string Model => CaffeFixtures.PathOf("mnist__lenet.prototxt"); // LeNet with xavier weights

    [Fact]
    public void Should_Write_The_Report_Folder_And_Print_The_Totals()
    {
        using var dir = new TempDir();
        string dfp = ReportFixture.WritePlan(dir.Path, "dfp8", ReportFixture.Dfp(8), top1: 0.98);
        string pow2 = ReportFixture.WritePlan(dir.Path, "pow2", ReportFixture.PowerOfTwo());
        var r = CliProcess.Run(["report", "--model", Model, "--plan", dfp, "--plan", pow2, "--out", dir.File("rep"), "--json", dir.File("r.json"),
            "--sram", "1MB", "--device", "cpu"]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        foreach (var name in new[] { "float32", "dfp8", "pow2", "Horowitz", "1MB SRAM", "not in the accuracy-vs-energy chart (no accuracy): float32, pow2" })
            Assert.Contains(name, r.StdOut, StringComparison.Ordinal);
        Assert.True(File.Exists(dir.File("rep/report.html")));
        Assert.True(File.Exists(dir.File("rep/report.md")));
        Assert.Equal(File.ReadAllText(dir.File("rep/report.json")), File.ReadAllText(dir.File("r.json")));
        var json = JsonDocument.Parse(File.ReadAllText(dir.File("r.json"))).RootElement;
        Assert.Equal("1MB", json.GetProperty("accelerator").GetProperty("sram").GetString());
        Assert.Equal(431_080, json.GetProperty("plans")[1].GetProperty("totals").GetProperty("params").GetInt64());
        // 431,080 × 8 bits fit in 1 MB: no DRAM weight traffic for dfp8, but float32's 13.8 Mbit do not fit.
        Assert.True(json.GetProperty("plans")[1].GetProperty("weights_resident").GetBoolean());
        Assert.False(json.GetProperty("plans")[0].GetProperty("weights_resident").GetBoolean());
    }

    [Fact]
    public void Should_Refuse_A_Plan_Naming_A_Layer_The_Model_Lacks_In_One_Line_And_Write_Nothing()
    {
        using var dir = new TempDir();
        string plan = ReportFixture.WritePlan(dir.Path, "bad", ReportFixture.Dfp(8));
        File.WriteAllText(plan, File.ReadAllText(plan).Replace("\"ip2\"", "\"fc9\"", StringComparison.Ordinal));
        var r = CliProcess.Run(["report", "--model", Model, "--plan", plan, "--out", dir.File("rep"), "--device", "cpu"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("error: plan bad: layer 'fc9' is not in network LeNet (it has conv1, conv2, ip1, ip2)", Assert.Single(r.ErrorLines));
        Assert.False(Directory.Exists(dir.File("rep")));
        Assert.Empty(Directory.GetDirectories(dir.Path));
    }

    [Fact]
    public void Should_Refuse_A_Plan_Missing_A_Layer_Unless_Float_Layers_Are_Allowed()
    {
        using var dir = new TempDir();
        string plan = ReportFixture.WritePlan(dir.Path, "partial", new(ReportFixture.Dfp(8).Layers.Where(kv => kv.Key != "ip1").ToDictionary(kv => kv.Key, kv => kv.Value)));
        var r = CliProcess.Run(["report", "--model", Model, "--plan", plan, "--out", dir.File("rep"), "--device", "cpu"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("plan partial has no entry for layer 'ip1'", Assert.Single(r.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("rep")));
        var ok = CliProcess.Run(["report", "--model", Model, "--plan", plan, "--out", dir.File("rep"), "--allow-float-layers", "--device", "cpu"]);
        Assert.True(ok.ExitCode == 0, ok.StdErr);
    }

    [Theory]
    [InlineData("\"dfp\"", "\"posit\"", "unknown format kind 'posit'")]
    [InlineData("\"bw\": 8", "\"bw\": 99", "bw must be ≤ 24")]
    public void Should_Refuse_A_Plan_With_An_Unknown_Or_Impossible_Format_In_One_Line(string from, string to, string expected)
    {
        using var dir = new TempDir();
        string plan = ReportFixture.WritePlan(dir.Path, "p", ReportFixture.Dfp(8));
        File.WriteAllText(plan, File.ReadAllText(plan).Replace(from, to, StringComparison.Ordinal));
        var r = CliProcess.Run(["report", "--model", Model, "--plan", plan, "--out", dir.File("rep"), "--device", "cpu"]);
        Assert.Equal(1, r.ExitCode);
        string line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.File("rep")));
    }

    [Theory]
    [InlineData("--sram", "64KB", "8KB, 32KB or 1MB")]
    [InlineData("--array", "16", "expected ROWSxCOLUMNS")]
    [InlineData("--peak-ops", "-1", "--peak-ops must be positive")]
    public void Should_Refuse_A_Bad_Accelerator_Option_In_One_Line(string option, string value, string expected)
    {
        using var dir = new TempDir();
        var r = CliProcess.Run(["report", "--model", Model, "--out", dir.File("rep"), option, value, "--device", "cpu"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(expected, Assert.Single(r.ErrorLines), StringComparison.Ordinal);
    }
}
