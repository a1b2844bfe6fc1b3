using Ristretto.Tests.Support;

namespace Ristretto.Tests.Cli;

[Collection("cli")]
public class ZooCliTests
{
    [Theory]
    [InlineData("resnet18", "11,689,512")]
    [InlineData("squeezenet1.1", "1,235,496")]
    public void Should_Inspect_A_Zoo_Network_By_Name_Even_With_A_Dot_In_It(string name, string parameters)
    {
        var r = CliProcess.Run(["inspect", "--model", name]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.StartsWith($"{name}: ", r.StdOut);
        Assert.Contains(parameters, r.StdOut.Split('\n').Single(l => l.StartsWith("total", StringComparison.Ordinal)));
    }

    [Fact]
    public void Should_Build_Cifar10_For_Training_And_Refuse_Mnist_Shaped_Data_In_One_Line()
    {
        using var data = SyntheticDigits.WriteDataset(train: 16, test: 8);
        using var dir = new TempDir();
        var r = CliProcess.Run(["train", "--model", "cifar10", "--data", data.Path, "--out", dir.File("c.rstm"), "--iterations", "1", "--device", "cpu"]);
        Assert.Equal(1, r.ExitCode);
        // The data is read as the network takes it (gray repeated into colour); the first image's size is checked before training.
        string error = Assert.Single(r.ErrorLines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("28×28", error);
        Assert.Contains("32×32", error);
        Assert.DoesNotContain(r.ErrorLines, l => l.StartsWith("Training", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
