using System.Text.Json;
using Ristretto.Tests.Interchange.Caffe;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Cli;

[Collection("cli")]
public class InspectCommandTests
{
    [Fact]
    public void Should_Report_Layers_Parameters_And_Macs_As_Json()
    {
        using var dir = new TempDir();
        var r = CliProcess.Run(["inspect", "--model", "lenet", "--json", dir.File("i.json")]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        var json = JsonDocument.Parse(File.ReadAllText(dir.File("i.json"))).RootElement;
        Assert.Equal(431_080, json.GetProperty("params").GetInt64());
        Assert.Equal(2_293_000, json.GetProperty("macs").GetInt64());
        var conv1 = json.GetProperty("layers")[0];
        Assert.Equal("conv1", conv1.GetProperty("name").GetString());
        Assert.Equal("Convolution", conv1.GetProperty("type").GetString());
        Assert.Equal(288_000, conv1.GetProperty("macs").GetInt64());
        Assert.Equal(new long[] { 1, 20, 24, 24 }, conv1.GetProperty("output_shape").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Fact]
    public void Should_Inspect_A_Caffe_Prototxt_And_Refuse_A_Broken_One_In_One_Line()
    {
        var ok = CliProcess.Run(["inspect", "--model", CaffeFixtures.PathOf("cifar10__cifar10_full_train_test.prototxt")]);
        Assert.True(ok.ExitCode == 0, ok.StdErr);
        Assert.Contains("89,578", ok.StdOut);
        using var dir = new TempDir();
        File.WriteAllText(dir.File("bad.prototxt"), "layer { name: 'c' type: 'Convolution' convolution_param { num_output: 'x' } }");
        var bad = CliProcess.Run(["inspect", "--model", dir.File("bad.prototxt")]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("bad.prototxt:1:", Assert.Single(bad.ErrorLines));
    }
}
