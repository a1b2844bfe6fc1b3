using Ristretto.Data;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Cli;

[Collection("cli")]
public class CliErrorTests
{
    [Fact]
    public void Should_Fail_With_One_Line_For_A_Missing_Model()
    {
        var r = CliProcess.Run(["test", "--model", "/nonexistent", "--device", "cpu"]);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("error: model file /nonexistent does not exist", line);
        Assert.DoesNotContain("   at ", r.StdErr);
    }

    [Fact]
    public void Should_Fail_With_One_Line_For_A_Truncated_Idx_File()
    {
        using var data = SyntheticDigits.WriteDataset(train: 64, test: 20);
        using var model = new TempDir();
        var trained = CliProcess.Run(["train", "--out", model.File("m.rstm"), "--iterations", "2", "--batch-size", "8", "--device", "cpu", "--data", data.Path]);
        Assert.Equal(0, trained.ExitCode);
        string labels = Path.Combine(data.Path, DatasetFiles.TestImages);
        var bytes = File.ReadAllBytes(labels);
        File.WriteAllBytes(labels, bytes[..^50]);

        var r = CliProcess.Run(["test", "--model", model.File("m.rstm"), "--device", "cpu", "--data", data.Path]);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.Contains("truncated", line);
        Assert.Contains(DatasetFiles.TestImages, line);
    }

    [NoCudaFact]
    public void Should_Refuse_Cuda_In_One_Line_Where_There_Is_None()
    {
        var r = CliProcess.Run(["test", "--model", "/nonexistent", "--device", "cuda"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("CUDA is not available", Assert.Single(r.ErrorLines));
    }

    [Fact]
    public void Should_Reject_A_Bad_Option_Value_Without_A_Stack_Trace()
    {
        var r = CliProcess.Run(["train", "--out", "/tmp/x.rstm", "--iterations", "0"]);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--iterations must be ≥ 1", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
    }
}
