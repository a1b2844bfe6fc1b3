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
        var defaults = new FinetuneOptions();
        var s = defaults.Solver;
        var model = new Option<string?>("--model") { Description = "The float model: a .rstm, .onnx or Caffe .prototxt file (default: the embedded LeNet trained on MNIST). With --model-quantized, the prototxt is the model." };
        var plan = new Option<string?>("--plan") { Description = "The JSON plan to fine-tune into (from quantize --plan)." };
        var quantized = new Option<string?>("--model-quantized") { Description = "A Ristretto quantized prototxt (from quantize --model-quantized, or Ristretto's own): its layers' formats are the plan; --weights gives its caffemodel." };
        var output = new Option<string>("--out") { Description = "Fine-tuned model to write: .rstm (zoo networks), .onnx, or .prototxt (+ .caffemodel beside it). Checkpoints go to OUT.ckpt.", Required = true };
        var iterations = CommonOptions.PositiveInt("--iterations", "Fine-tuning iterations (solver updates).", s.Iterations);
        var batch = CommonOptions.PositiveInt("--batch-size", "Training batch size.", s.BatchSize);
        var iterSize = CommonOptions.PositiveInt("--iter-size", "Batches accumulated per update (Caffe's iter_size).", s.IterSize);
        var solver = new Option<SolverKind>("--solver") { Description = "Sgd (Caffe's, with momentum) or Adam.", DefaultValueFactory = _ => s.Solver };
        var lr = new Option<double>("--lr") { Description = "Base learning rate.", DefaultValueFactory = _ => s.BaseLr };
        var policy = new Option<LearningRatePolicy>("--lr-policy") { Description = "Schedule: Fixed, Step, Inv, Cosine.", DefaultValueFactory = _ => s.Policy };
        var gamma = new Option<double>("--gamma") { Description = "γ of the Step and Inv schedules.", DefaultValueFactory = _ => 0.1 };
        var stepSize = new Option<int>("--step-size") { Description = "Iterations per step of the Step schedule.", DefaultValueFactory = _ => 1000 };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum, or Adam's β₁.", DefaultValueFactory = _ => s.Momentum };
        var decay = new Option<double>("--weight-decay") { Description = "L2 weight decay.", DefaultValueFactory = _ => s.WeightDecay };
        var rounding = new Option<string>("--train-rounding") { Description = "Rounding in training passes: stochastic (Ristretto's) or nearest. Tests use the plan's.", DefaultValueFactory = _ => "stochastic" };
        rounding.AcceptOnlyFromAmong("stochastic", "nearest");
        var distill = new Option<double>("--distill") { Description = "Weight α in [0, 1] of knowledge distillation from the float model (0: off).", DefaultValueFactory = _ => 0 };
        var temperature = new Option<double>("--distill-temperature") { Description = "Distillation temperature.", DefaultValueFactory = _ => defaults.DistillTemperature };
        var testInterval = new Option<int>("--test-interval") { Description = "Test every N iterations (0: only before and after).", DefaultValueFactory = _ => defaults.TestInterval };
        var testIterations = new Option<int?>("--test-iterations") { Description = "Test batches (of 100) per periodic test (default: the whole test set)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the data order and the stochastic rounding.", DefaultValueFactory = _ => s.Seed };
        var snapshot = new Option<int>("--snapshot") { Description = "Write a checkpoint every N iterations (0: only on Ctrl+C).", DefaultValueFactory = _ => 1000 };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUT.ckpt with its plan, settings and state (give the same --model)." };
        var learn = new Option<string>("--learn-steps") { Description = "Train the integer scales too: lsq, or lsq+ (also the offsets of asymmetric tensors); ttq: the α of binary and ternary weights (TWN's threshold follows the weights); none keeps them; default: what the plan says.", DefaultValueFactory = _ => "plan" };
        learn.AcceptOnlyFromAmong("plan", "none", "lsq", "lsq+", "ttq");
        var keepBn = new Option<bool>("--keep-batchnorm") { Description = "Do not fold BatchNorm (and Scale) into the preceding convolutions before fine-tuning." };
        var weights = CommonOptions.Weights();
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("finetune", "Fine-tune a network under a quantization plan: shadow weights, trimmed forward passes, straight-through gradients.")
        {
            model, weights, plan, quantized, output, iterations, batch, iterSize, solver, lr, policy, gamma, stepSize, momentum, decay,
            rounding, distill, temperature, testInterval, testIterations, seed, snapshot, resume, learn, keepBn, device, json,
        };
        var data = new DataOptions(command, training: true);
        command.SetAction(r => CommandRunner.Run(cancel =>
        {
            var options = new FinetuneOptions
            {
                Solver = s with
                {
                    Iterations = r.GetValue(iterations), BatchSize = r.GetValue(batch), IterSize = r.GetValue(iterSize),
                    Solver = r.GetValue(solver), BaseLr = r.GetValue(lr), Policy = r.GetValue(policy), Gamma = r.GetValue(gamma),
                    StepSize = r.GetValue(stepSize), Momentum = r.GetValue(momentum), WeightDecay = r.GetValue(decay), Seed = r.GetValue(seed),
                },
                TrainingRounding = r.GetValue(rounding) == "nearest" ? Rounding.Nearest : Rounding.Stochastic,
                DistillAlpha = r.GetValue(distill), DistillTemperature = r.GetValue(temperature), TestInterval = r.GetValue(testInterval),
            }.Validate();
            if (r.GetValue(snapshot) < 0)
                throw new RistrettoException($"--snapshot must be ≥ 0, got {r.GetValue(snapshot)}");
            if (r.GetValue(testIterations) is < 1)
                throw new RistrettoException($"--test-iterations must be ≥ 1, got {r.GetValue(testIterations)}");
            var dataSettings = data.Settings(r);
            dataSettings = dataSettings with { Streaming = dataSettings.Streaming with { Seed = options.Solver.Seed } };
            var settings = new FinetuneSettings(r.GetValue(model), r.GetValue(weights), r.GetValue(plan), r.GetValue(quantized), r.GetValue(output)!,
                options, r.GetResult(iterations) is { Implicit: false }, r.GetValue(testIterations), r.GetValue(snapshot), r.GetValue(resume), r.GetValue(keepBn),
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
