using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ristretto.Tests.Support;

namespace Ristretto.Tests.Cli;

/// <summary>
/// <c>quantize --compat ristretto</c> keeps Ristretto's range rules bit for bit: the table and the plan below were
/// printed and written by the code before the defaults changed (issue 15 part 0), on a LeNet trained here for 12
/// iterations on synthetic digits.
/// </summary>
[Collection("cli")]
public partial class CompatRistrettoTests
{
    private const string Table = """
        Ristretto dynamic fixed point search on lenet (MODEL)
        top-1 on 200 test images per evaluation, error margin 1 points
        float32 baseline: top-1 100.00 %, top-5 100.00 %

        part             16-bit    8-bit    4-bit    2-bit    1-bit
        conv weights     100.00   100.00   100.00   100.00    25.50
        fc weights       100.00   100.00   100.00   100.00    40.50
        activations      100.00   100.00   100.00    11.50        —

        sweeps' choice: conv weights 2-bit, fc weights 2-bit, activations 4-bit: top-1 89.50 %, below the margin (99.00 %); Ristretto stopped here
        widening step 1: each part one width wider, the best kept
          conv weights to 4-bit        top-1  89.00 %
          fc weights to 4-bit          top-1  95.00 %
          activations to 8-bit         top-1  95.50 %  kept
        widening step 2: each part one width wider, the best kept
          conv weights to 4-bit        top-1 100.00 %  kept
          fc weights to 4-bit          top-1 100.00 %
          activations to 16-bit        top-1  84.00 %
        chosen: conv weights 4-bit, fc weights 2-bit, activations 8-bit
        combined: top-1 100.00 %, top-5 100.00 % (22 evaluations in S s)
        Please fine-tune.
        plan written to PLAN
        """;

    private const string PlanLayers = """
        {
          "conv1": {
            "weights": {
              "kind": "dfp",
              "bw": 4,
              "fl": 4
            },
            "bias": {
              "kind": "dfp",
              "bw": 4,
              "fl": 4
            },
            "input": {
              "kind": "dfp",
              "bw": 8,
              "fl": 8
            },
            "output": {
              "kind": "dfp",
              "bw": 8,
              "fl": 6
            },
            "rounding": "nearest"
          },
          "conv2": {
            "weights": {
              "kind": "dfp",
              "bw": 4,
              "fl": 6
            },
            "bias": {
              "kind": "dfp",
              "bw": 4,
              "fl": 6
            },
            "input": {
              "kind": "dfp",
              "bw": 8,
              "fl": 7
            },
            "output": {
              "kind": "dfp",
              "bw": 8,
              "fl": 6
            },
            "rounding": "nearest"
          },
          "ip1": {
            "weights": {
              "kind": "dfp",
              "bw": 2,
              "fl": 4
            },
            "bias": {
              "kind": "dfp",
              "bw": 2,
              "fl": 4
            },
            "input": {
              "kind": "dfp",
              "bw": 8,
              "fl": 6
            },
            "output": {
              "kind": "dfp",
              "bw": 8,
              "fl": 6
            },
            "rounding": "nearest"
          },
          "ip2": {
            "weights": {
              "kind": "dfp",
              "bw": 2,
              "fl": 4
            },
            "bias": {
              "kind": "dfp",
              "bw": 2,
              "fl": 4
            },
            "input": {
              "kind": "dfp",
              "bw": 8,
              "fl": 6
            },
            "output": {
              "kind": "dfp",
              "bw": 8,
              "fl": 5
            },
            "rounding": "nearest"
          }
        }
        """;

    private const string PowerOfTwoLayers = """
        {
          "conv1": {
            "weights": {
              "kind": "pow2",
              "exp_min": -8,
              "exp_max": -1,
              "zero": true
            },
            "bias": {
              "kind": "dfp",
              "bw": 8,
              "fl": 10
            },
            "input": {
              "kind": "dfp",
              "bw": 8,
              "fl": 8
            },
            "output": {
              "kind": "dfp",
              "bw": 8,
              "fl": 6
            },
            "rounding": "nearest"
          },
          "conv2": {
            "weights": {
              "kind": "pow2",
              "exp_min": -8,
              "exp_max": -1,
              "zero": true
            },
            "bias": {
              "kind": "dfp",
              "bw": 8,
              "fl": 11
            },
            "input": {
              "kind": "dfp",
              "bw": 8,
              "fl": 7
            },
            "output": {
              "kind": "dfp",
              "bw": 8,
              "fl": 6
            },
            "rounding": "nearest"
          },
          "ip1": {
            "weights": {
              "kind": "pow2",
              "exp_min": -8,
              "exp_max": -1,
              "zero": true
            },
            "bias": {
              "kind": "dfp",
              "bw": 8,
              "fl": 12
            },
            "input": {
              "kind": "dfp",
              "bw": 8,
              "fl": 6
            },
            "output": {
              "kind": "dfp",
              "bw": 8,
              "fl": 6
            },
            "rounding": "nearest"
          },
          "ip2": {
            "weights": {
              "kind": "pow2",
              "exp_min": -8,
              "exp_max": -1,
              "zero": true
            },
            "bias": {
              "kind": "dfp",
              "bw": 8,
              "fl": 11
            },
            "input": {
              "kind": "dfp",
              "bw": 8,
              "fl": 6
            },
            "output": {
              "kind": "dfp",
              "bw": 8,
              "fl": 5
            },
            "rounding": "nearest"
          }
        }
        """;

    [Fact]
    public void Should_Print_Todays_Table_And_Write_Todays_Plan_Under_Compat_Ristretto()
    {
        using var data = SyntheticDigits.WriteDataset(train: 512, test: 200);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path];
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "12", "--batch-size", "32", "--seed", "3", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);

        var r = CliProcess.Run(["quantize", "--model", dir.File("m.rstm"), "--compat", "ristretto", "--iterations", "2", "--plan", dir.File("plan.json"), .. common]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        string table = Timeless(r.StdOut.Replace(dir.File("m.rstm"), "MODEL", StringComparison.Ordinal).Replace(dir.File("plan.json"), "PLAN", StringComparison.Ordinal));
        string layers = Layers(dir.File("plan.json"));

        var p = CliProcess.Run(["quantize", "--model", dir.File("m.rstm"), "--compat", "ristretto", "--trimming-mode", "integer_power_of_2_weights",
            "--iterations", "2", "--plan", dir.File("pow2.json"), .. common]);
        Assert.True(p.ExitCode == 0, p.StdErr);
        string pow2 = Layers(dir.File("pow2.json"));
        Assert.True(Normal(Table) == table, "table differs; printed:\n" + table);
        Assert.True(Normal(PlanLayers) == layers, "plan differs; written:\n" + layers);
        Assert.True(Normal(PowerOfTwoLayers) == pow2, "power-of-two plan differs; written:\n" + pow2);
    }

    private static string Layers(string planFile) => JsonNode.Parse(File.ReadAllText(planFile))!["layers"]!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    private static string Normal(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();

    /// <summary>The table without its one timing ("13 evaluations in 1.2 s").</summary>
    private static string Timeless(string text) => Normal(Seconds().Replace(text, "evaluations in S s"));

    [GeneratedRegex(@"evaluations in [0-9.]+ s")]
    private static partial Regex Seconds();
}
