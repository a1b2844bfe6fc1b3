using System.Diagnostics;
using System.Text.Json.Nodes;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.ScaleOut;

/// <summary>A real Slurm (one node, started by build/slurm-single-node.sh) runs a per-type search's rounds as job arrays.</summary>
[Collection("cli")]
public sealed class SlurmLauncherTests
{
    [SlurmFact]
    public void Should_Give_The_Serial_Result_Through_Slurm_Job_Arrays()
    {
        string root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../.."));
        string slurmDir = Environment.GetEnvironmentVariable("SLURM_DIR") ?? "/tmp/ristretto-slurm"; // the script's default; start is idempotent
        var env = new Dictionary<string, string> { ["SLURM_DIR"] = slurmDir, ["SLURM_CONF"] = Path.Combine(slurmDir, "slurm.conf") };
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(root, "build", "slurm-single-node.sh"));
        start.ArgumentList.Add("start");
        foreach (var (k, v) in env)
            start.Environment[k] = v;
        using (var p = Process.Start(start)!)
        {
            string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, output);
        }
        using var data = SyntheticDigits.WriteDataset(train: 512, test: 300);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path, "--threads", "1"];
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "40", "--batch-size", "32", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        string[] quantize = ["quantize", "--model", dir.File("m.rstm"), "--error-margin", "3", .. common];
        var serial = CliProcess.Run([.. quantize, "--json", dir.File("serial.json")]);
        Assert.True(serial.ExitCode == 0, serial.StdErr);
        var slurm = CliProcess.Run([.. quantize, "--launcher", "slurm", "--parallel", "2", "--work", dir.File("work"), "--json", dir.File("slurm.json")], env, timeoutSeconds: 900);
        Assert.True(slurm.ExitCode == 0, slurm.StdErr);
        Assert.Contains("submitted job array", slurm.StdErr, StringComparison.Ordinal);
        Assert.Equal(ResultJson.WithoutWorkFields(JsonNode.Parse(File.ReadAllText(dir.File("serial.json")))!), ResultJson.WithoutWorkFields(JsonNode.Parse(File.ReadAllText(dir.File("slurm.json")))!));
        Assert.Contains("#SBATCH --array=0-15%2", File.ReadAllText(dir.File("work/slurm/round-1.sh")), StringComparison.Ordinal);
    }
}
