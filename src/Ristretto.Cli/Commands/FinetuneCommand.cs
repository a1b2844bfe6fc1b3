using System.CommandLine;
using System.Globalization;
using Ristretto.Cli.Infrastructure;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Finetuning;
using Ristretto.Formats;
using Ristretto.Jobs;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Training;

namespace Ristretto.Cli.Commands;

/// <summary>
/// <c>ristretto finetune --plan PLAN | --model-quantized PROTOTXT --out OUT</c>: recovers accuracy in the discrete
/// domain. Shadow float weights, trimmed weights/biases/activations in every forward pass (stochastic rounding in
/// training), straight-through gradients, SGD or Adam; periodic tests; atomic checkpoints with bit-identical
/// resume. Writes OUT with every trimmed weight exactly on the plan's grid, STEM.plan.json, and the shadow
/// weights as STEM.shadow.rstm for further training.
/// </summary>
public static class FinetuneCommand
{
    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "The float model: a .rstm, .onnx or Caffe .prototxt file (default: the embedded LeNet trained on MNIST). With --model-quantized, the prototxt is the model." };
        var plan = new Option<string?>("--plan") { Description = "The JSON plan to fine-tune into (from quantize --plan)." };
        var quantized = new Option<string?>("--model-quantized") { Description = "A Ristretto quantized prototxt (from quantize --model-quantized, or Ristretto's own): its layers' formats are the plan; --weights gives its caffemodel." };
        var output = new Option<string>("--out") { Description = "Fine-tuned model to write: .rstm (zoo networks), .onnx, or .prototxt (+ .caffemodel beside it). Checkpoints go to OUT.ckpt.", Required = true };
        var learn = new Option<string>("--learn-steps") { Description = "Train the integer scales too: lsq, or lsq+ (also the offsets of asymmetric tensors); ttq: the α of binary and ternary weights (TWN's threshold follows the weights); none keeps them; default: what the plan says.", DefaultValueFactory = _ => "plan" };
        learn.AcceptOnlyFromAmong("plan", "none", "lsq", "lsq+", "ttq");
        var keepBn = new Option<bool>("--keep-batchnorm") { Description = "Do not fold BatchNorm (and Scale) into the preceding convolutions before fine-tuning." };
        var weights = CommonOptions.Weights();
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("finetune", "Fine-tune a network under a quantization plan: shadow weights, trimmed forward passes, straight-through gradients.")
        {
            model, weights, plan, quantized, output,
        };
        var finetune = new FinetuneOptionSet(command);
        command.Options.Add(learn);
        command.Options.Add(keepBn);
        command.Options.Add(device);
        command.Options.Add(json);
        var data = new DataOptions(command, training: true);
        command.SetAction(r => CommandRunner.Run(cancel =>
        {
            var options = finetune.Options(r);
            var dataSettings = data.Settings(r);
            dataSettings = dataSettings with { Streaming = dataSettings.Streaming with { Seed = options.Solver.Seed } };
            var settings = new FinetuneSettings(r.GetValue(model), r.GetValue(weights), r.GetValue(plan), r.GetValue(quantized), r.GetValue(output)!,
                options, finetune.IterationsGiven(r), finetune.TestIterations(r), finetune.Snapshot(r), finetune.Resume(r), r.GetValue(keepBn),
                r.GetValue(device), dataSettings, PlanFile.ParseLearning(r.GetValue(learn)!));
            var result = Finetuner.Run(settings, ProgressDisplay.Observer, cancel);
            if (result.Cancelled)
                return CommandRunner.Interrupted;
            Render(result);
            JobJson.Write(r.GetValue(json), result.ToJson());
            return 0;
        }));
        return command;
    }

    private static void Render(FinetuneResult r)
    {
        foreach (var (iteration, result) in r.Tests)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  iteration {iteration,6:N0}: top-1 {100 * result.Top1:F2} %"));
        var after = r.After!;
        Console.WriteLine($"quantized after fine-tuning:  {JobJson.Describe(after)}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"top-1 {100 * r.Before.Top1:F2} % → {100 * after.Top1:F2} % (float {100 * r.Float.Top1:F2} %) in {r.Iterations - r.StartIteration:N0} iterations, {r.Seconds:F1} s"));
        Console.WriteLine($"fine-tuned model (weights on the plan's grid) written to {r.Output}; plan: {r.PlanPath}; shadow weights: {r.ShadowPath}");
    }
}
