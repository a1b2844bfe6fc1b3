using System.Text.Json;
using Ristretto.Finetuning;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Tests.Support;
using Ristretto.Training;
using TorchSharp;

namespace Ristretto.Tests.Cli;

[Collection("cli")]
public class FinetuneCommandTests
{
    [Fact]
    public void Should_Fine_Tune_A_Plan_And_Write_Weights_Exactly_On_Its_Grid()
    {
        using var data = SyntheticDigits.WriteDataset(train: 512, test: 200);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path];
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "40", "--batch-size", "32", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        var quantized = CliProcess.Run(["quantize", "--model", dir.File("m.rstm"), "--compat", "ristretto", "--widths", "2/2/4", "--iterations", "2", "--plan", dir.File("plan.json"),
            "--model-quantized", dir.File("q.prototxt"), .. common]); // Ristretto's prototxt holds Ristretto's formats only
        Assert.True(quantized.ExitCode == 0, quantized.StdErr);
        Assert.Contains("activations 4-bit (no search)", quantized.StdOut);
        Assert.All(PlanFile.Load(dir.File("plan.json")).Layers.Values, l => Assert.Equal(2, l.Weights!.BitWidth));

        var r = CliProcess.Run(["finetune", "--model", dir.File("m.rstm"), "--plan", dir.File("plan.json"), "--out", dir.File("ft.rstm"),
            "--iterations", "30", "--batch-size", "16", "--test-interval", "10", "--json", dir.File("ft.json"), .. common]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("quantized after fine-tuning", r.StdOut);
        var json = JsonDocument.Parse(File.ReadAllText(dir.File("ft.json"))).RootElement;
        Assert.Equal(30, json.GetProperty("iterations").GetInt32());
        Assert.Equal(3, json.GetProperty("tests").GetArrayLength());
        Assert.True(File.Exists(dir.File("ft.shadow.rstm")));
        Assert.False(File.Exists(dir.File("ft.rstm.ckpt")), "the checkpoint should be removed once the output is written");

        // Every trimmed weight in the output re-trims to the same bits.
        var plan = PlanFile.Load(dir.File("ft.plan.json"));
        var (model, _) = ModelStore.Load(dir.File("ft.rstm"), torch.CPU);
        using (model)
        {
            var net = (Network)model;
            foreach (var (name, spec) in plan.Layers)
            {
                var layer = (IWeightedLayer)net[name];
                using var w = spec.Weights!.Trim(layer.Weight);
                Assert.True(Bits.Same(w, layer.Weight), $"{name}: a weight is off the grid");
            }
        }

        // The written plan applied to the written model scores what fine-tuning reported.
        var applied = CliProcess.Run(["test", "--model", dir.File("ft.rstm"), "--plan", dir.File("ft.plan.json"), "--json", dir.File("t.json"), .. common]);
        Assert.True(applied.ExitCode == 0, applied.StdErr);
        double top1 = JsonDocument.Parse(File.ReadAllText(dir.File("t.json"))).RootElement.GetProperty("top1").GetDouble();
        Assert.Equal(json.GetProperty("after").GetProperty("top1").GetDouble(), top1, 6);

        // A Ristretto prototxt is accepted as the plan and the model, and written back as one.
        var fromCaffe = CliProcess.Run(["finetune", "--model-quantized", dir.File("q.prototxt"), "--weights", dir.File("q.caffemodel"),
            "--out", dir.File("ft.prototxt"), "--iterations", "5", "--batch-size", "16", "--test-interval", "0", .. common]);
        Assert.True(fromCaffe.ExitCode == 0, fromCaffe.StdErr);
        using var back = CaffeImport.Load(dir.File("ft.prototxt"), dir.File("ft.caffemodel"));
        Assert.Equal(plan.Layers.Keys.Order(), QuantizationPlan.CarriedBy(back).Layers.Keys.Order());

        // ONNX out: a standard file whose weights lie on the plan's grid.
        var toOnnx = CliProcess.Run(["finetune", "--model", dir.File("m.rstm"), "--plan", dir.File("plan.json"), "--out", dir.File("ft.onnx"),
            "--iterations", "5", "--batch-size", "16", "--test-interval", "0", .. common]);
        Assert.True(toOnnx.ExitCode == 0, toOnnx.StdErr);
        using var onnx = Ristretto.Interchange.Onnx.Importer.OnnxImporter.Load(dir.File("ft.onnx"));
        var conv1 = (IWeightedLayer)onnx.Nodes.First(n => n.Layer is IWeightedLayer).Layer;
        using var snapped = plan.Layers["conv1"].Weights!.Trim(conv1.Weight);
        Assert.True(Bits.Same(snapped, conv1.Weight), "ONNX conv1 weights are off the grid");
    }

    [Fact]
    public void Should_Learn_Integer_Steps_When_The_Plan_Asks_And_Write_The_Learned_Plan()
    {
        using var data = SyntheticDigits.WriteDataset(train: 512, test: 200);
        using var dir = new TempDir();
        string[] common = ["--device", "cpu", "--data", data.Path];
        var trained = CliProcess.Run(["train", "--out", dir.File("m.rstm"), "--iterations", "40", "--batch-size", "32", .. common]);
        Assert.True(trained.ExitCode == 0, trained.StdErr);
        var quantized = CliProcess.Run(["quantize", "--model", dir.File("m.rstm"), "--trimming-mode", "integer", "--per-channel", "--asymmetric",
            "--widths", "2/2/4", "--learn-steps", "lsq+", "--iterations", "2", "--plan", dir.File("plan.json"), .. common]);
        Assert.True(quantized.ExitCode == 0, quantized.StdErr);
        Assert.Contains("Integer (float scale, per-channel weights, asymmetric activations) on", quantized.StdOut);
        var plan = PlanFile.Load(dir.File("plan.json"));
        Assert.All(plan.Layers.Values, l => Assert.Equal(StepLearning.LsqPlus, l.Learning));

        var r = CliProcess.Run(["finetune", "--model", dir.File("m.rstm"), "--plan", dir.File("plan.json"), "--out", dir.File("ft.rstm"),
            "--iterations", "30", "--batch-size", "16", "--test-interval", "0", "--json", dir.File("ft.json"), .. common]);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("learning the integer steps (conv1 lsq+", r.StdErr + r.StdOut);
        var learned = PlanFile.Load(dir.File("ft.plan.json"));
        Assert.Contains(learned.Layers, l => !((Ristretto.Formats.IntegerFormat)l.Value.Weights!).Scales.SequenceEqual(((Ristretto.Formats.IntegerFormat)plan.Layers[l.Key].Weights!).Scales));
        var (model, _) = ModelStore.Load(dir.File("ft.rstm"), torch.CPU);
        using (model)
        {
            foreach (var (name, spec) in learned.Layers)
            {
                var layer = (IWeightedLayer)((Network)model)[name];
                using var w = spec.Weights!.Trim(layer.Weight);
                Assert.True(Bits.Same(w, layer.Weight), $"{name}: a weight is off the learned grid");
            }
        }
        var applied = CliProcess.Run(["test", "--model", dir.File("ft.rstm"), "--plan", dir.File("ft.plan.json"), "--json", dir.File("t.json"), .. common]);
        Assert.True(applied.ExitCode == 0, applied.StdErr);
        double top1 = JsonDocument.Parse(File.ReadAllText(dir.File("t.json"))).RootElement.GetProperty("top1").GetDouble();
        double after = JsonDocument.Parse(File.ReadAllText(dir.File("ft.json"))).RootElement.GetProperty("after").GetProperty("top1").GetDouble();
        Assert.Equal(after, top1, 6);

        // A plan with no int format has no steps to learn.
        var dfp = CliProcess.Run(["quantize", "--model", dir.File("m.rstm"), "--widths", "4/4/8", "--iterations", "2", "--plan", dir.File("dfp.json"), .. common]);
        Assert.True(dfp.ExitCode == 0, dfp.StdErr);
        var refused = CliProcess.Run(["finetune", "--model", dir.File("m.rstm"), "--plan", dir.File("dfp.json"), "--learn-steps", "lsq",
            "--out", dir.File("x.rstm"), "--iterations", "5", .. common]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("no int format", Assert.Single(refused.ErrorLines));
        Assert.False(File.Exists(dir.File("x.rstm")));
    }

    [Fact]
    public void Finetune_Should_Default_To_The_Measured_Recipe_And_Compress_To_Ristrettos()
    {
        // finetune: Adam, cosine to zero, no weight decay, nearest rounding in training (docs/quantize.md, "Fine-tuning");
        // compress keeps Ristretto's SGD recipe, with which its documented figures were measured.
        var finetune = CliProcess.Run(["finetune", "--help"]);
        Assert.Equal(0, finetune.ExitCode);
        foreach (var expected in new[] { "[default: Adam]", "[default: Cosine]", "[default: 0]", "[default: nearest]", "[default: 0.001]", "[default: 3000]" })
            Assert.Contains(expected, finetune.StdOut, StringComparison.Ordinal);
        var compress = CliProcess.Run(["compress", "--help"]);
        Assert.Equal(0, compress.ExitCode);
        foreach (var expected in new[] { "[default: Sgd]", "[default: Fixed]", "[default: 0.0005]", "[default: stochastic]", "[default: 3000]" })
            Assert.Contains(expected, compress.StdOut, StringComparison.Ordinal);
        var library = new FinetuneOptions();
        Assert.Equal((SolverKind.Adam, LearningRatePolicy.Cosine, 0.0, Rounding.Nearest),
            (library.Solver.Solver, library.Solver.Policy, library.Solver.WeightDecay, library.TrainingRounding));
    }

    [Fact]
    public void Without_A_Plan_It_Should_Say_What_Is_Missing_In_One_Line()
    {
        using var dir = new TempDir();
        var r = CliProcess.Run(["finetune", "--model", "lenet", "--out", dir.File("x.rstm"), "--device", "cpu"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--plan", Assert.Single(r.ErrorLines));
        Assert.False(File.Exists(dir.File("x.rstm")));
    }

    [Fact]
    public void Resume_Without_A_Checkpoint_Should_Be_One_Clear_Error()
    {
        using var dir = new TempDir();
        var r = CliProcess.Run(["finetune", "--model", dir.File("missing.rstm"), "--out", dir.File("x.rstm"), "--resume", "--device", "cpu"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.ErrorLines);
    }
}
