using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Xunit.Abstractions;

namespace Ristretto.Tests.Cli;

/// <summary>
/// The 3-channel end to end of the real-data work: the zoo <c>cifar10</c> net trained by <c>ristretto train</c> on a
/// CIFAR-10 binary folder of coloured shapes (5,000 training, 1,000 test images), then the DFP search (plan and
/// report), a 4/4/4 DFP plan that loses at least 2 points, and fine-tuning that wins back at least half of that loss.
/// Minutes of CPU: opt-in (<c>RISTRETTO_LONG_TESTS=1</c>, or tests/long/cifar-e2e.sh).
/// </summary>
[Collection("cli")]
public class CifarEndToEndTests(ITestOutputHelper output)
{
    // y = (x/256 − 0.5)/0.225 lies in about ±2.2, just above a power of two, so Ristretto's activation rule
    // (il = ceil(log2 max) in a signed format, which clips above 2^(il−1)) clips only the outermost pixel values of
    // conv1's input, as with Caffe's mean-subtracted 0–255 CIFAR input (max ≈ 140, clipped at 128). With std 0.25
    // (max ≈ 1.98) it clips at 1 and 16-bit activations already lose about 2 points.
    internal static readonly string[] Preprocessing = ["--pixel-scale", "0.00390625", "--mean", "0.5", "--std", "0.225"];

    [LongFact]
    public void Should_Train_Cifar10_On_Coloured_Shapes_Quantize_It_And_Fine_Tune_Back_Half_Of_A_4_4_4_Loss()
    {
        using var data = new TempDir();
        using var dir = new TempDir();
        var total = Stopwatch.StartNew();
        ColouredShapes.WriteCifar10(data.Path);
        string[] common = ["--device", "cpu", "--data", data.Path];

        // Weight decay 0.004 (Caffe's cifar10_full solver) leaves activations with shorter tails than 0.0005,
        // which 4-bit fine-tuning recovers from much better.
        Run("train", ["train", "--model", "cifar10", "--out", dir.File("m.rstm"), "--iterations", "1000", "--batch-size", "64",
            "--lr", "0.05", "--lr-policy", "Cosine", "--weight-decay", "0.004", "--json", dir.File("train.json"), .. Preprocessing, .. common]);
        double trained = Json(dir.File("train.json")).GetProperty("top1").GetDouble();

        // The later verbs take the preprocessing the model file remembers.
        Run("quantize (search)", ["quantize", "--model", dir.File("m.rstm"), "--plan", dir.File("p.json"), "--report", dir.File("rep"),
            "--json", dir.File("q.json"), .. common]);
        var search = Json(dir.File("q.json"));
        double searched = search.GetProperty("quantized").GetProperty("top1").GetDouble();
        Assert.Equal(trained, search.GetProperty("baseline").GetProperty("top1").GetDouble(), 6);
        Assert.True(searched >= trained - 0.01 - 1e-9, $"the search's plan scored {searched:P2}, below the 1-point margin under {trained:P2}");
        Assert.True(File.Exists(Path.Combine(dir.File("rep"), "report.html")), "quantize --report wrote no HTML report");
        Assert.Equal(["conv1", "conv2", "conv3", "ip1"], PlanFile.Load(dir.File("p.json")).Layers.Keys.Order());

        Run("quantize 4/4/4", ["quantize", "--model", dir.File("m.rstm"), "--widths", "4/4/4", "--plan", dir.File("p444.json"),
            "--json", dir.File("q444.json"), .. common]);
        double plan444 = Json(dir.File("q444.json")).GetProperty("quantized").GetProperty("top1").GetDouble();

        // Adam with nearest rounding in the training passes: SGD, or Ristretto's stochastic rounding, recovers far
        // less in this many iterations at 4-bit activations.
        Run("finetune", ["finetune", "--model", dir.File("m.rstm"), "--plan", dir.File("p444.json"), "--out", dir.File("ft.rstm"),
            "--iterations", "800", "--batch-size", "64", "--solver", "Adam", "--lr", "0.002", "--lr-policy", "Cosine", "--weight-decay", "0",
            "--train-rounding", "nearest", "--test-interval", "200", "--json", dir.File("ft.json"), .. common]);
        var tuned = Json(dir.File("ft.json"));
        double before = tuned.GetProperty("before").GetProperty("top1").GetDouble();
        double after = tuned.GetProperty("after").GetProperty("top1").GetDouble();

        Run("test (fine-tuned)", ["test", "--model", dir.File("ft.rstm"), "--plan", dir.File("ft.plan.json"), "--json", dir.File("t.json"), .. common]);
        double retested = Json(dir.File("t.json")).GetProperty("top1").GetDouble();

        double loss = trained - before, recovered = after - before;
        output.WriteLine(Invariant($"float top-1 {trained:P2}"));
        output.WriteLine(Invariant($"search: chosen {search.GetProperty("chosen").GetRawText()}, top-1 {searched:P2}"));
        output.WriteLine(Invariant($"4/4/4: before fine-tuning {before:P2} (loss {100 * loss:F2} points), after {after:P2}, recovered {recovered / loss:P0} of the loss"));
        output.WriteLine(Invariant($"total {total.Elapsed.TotalSeconds:F0} s"));

        Assert.Equal(plan444, before, 6);
        Assert.Equal(after, retested, 6);
        Assert.True(trained >= 0.8, $"the float net reached only {trained:P2}");
        Assert.True(loss >= 0.02, $"4/4/4 lost only {100 * loss:F2} points ({trained:P2} → {before:P2})");
        Assert.True(recovered >= loss / 2, $"fine-tuning won back {100 * recovered:F2} of {100 * loss:F2} points ({before:P2} → {after:P2})");
    }

    private void Run(string step, string[] args) => CliProcess.Step(output, step, args);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;
}
