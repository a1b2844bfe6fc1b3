using System.CommandLine;
using Ristretto.Cli.Infrastructure;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Jobs;
using Ristretto.Quantization;

namespace Ristretto.Cli.Commands;

/// <summary><c>ristretto test --model PATH --data mnist</c>: top-1 and top-5 accuracy on the test set.</summary>
public static class TestCommand
{
    /// <summary>Builds the verb.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model: a .rstm file, an .onnx file, a Caffe .prototxt, or 'lenet' for the embedded default (trained and cached on first use).", Required = true };
        var iterations = new Option<int?>("--iterations") { Description = "Score only the first N batches (an alias of --images N × --batch-size; default: the whole evaluated set)." };
        var batch = CommonOptions.PositiveInt("--batch-size", "Test batch size.", 100);
        var weights = CommonOptions.Weights();
        var plan = new Option<string?>("--plan") { Description = "Apply a JSON quantization plan (from quantize --plan) to the float model before scoring." };
        var engine = new Option<string>("--engine") { Description = "With --plan: simulate (float arithmetic trimmed to the plan's formats) or integer (the integer-only engine: integer codes, exact accumulation, requantization by fixed-point multipliers and shifts; DFP, integer and power-of-two-weight plans).", DefaultValueFactory = _ => "simulate" };
        engine.AcceptOnlyFromAmong("simulate", "integer");
        var exact = new Option<bool>("--exact") { Description = "With --plan and --engine simulate: simulate in float64 where float32 would round (accumulations beyond 2^24, float scales), so that the simulation equals the integer engine bit for bit." };
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("test", "Score a model's top-1 and top-5 accuracy on the evaluated data.")
        {
            model, weights, plan, engine, exact, iterations, batch, device, json,
        };
        var data = new DataOptions(command);
        command.SetAction(r => CommandRunner.Run(cancel =>
        {
            int? n = r.GetValue(iterations);
            if (n is < 1)
                throw new RistrettoException($"--iterations must be ≥ 1, got {n}");
            int size = r.GetValue(batch);
            var result = Tester.Run(new TestSettings
            {
                Model = r.GetValue(model)!,
                Weights = r.GetValue(weights),
                Plan = r.GetValue(plan),
                Device = r.GetValue(device),
                Data = data.Settings(r, n is { } its ? ("--iterations", its * size) : null),
                DataGiven = data.Given(r),
                BatchSize = size,
                Engine = r.GetValue(engine)!,
                Exact = r.GetValue(exact),
            }, ProgressDisplay.Observer, cancel);
            Console.WriteLine($"{result.ModelPath} ({result.Device}): {JobJson.Describe(result.Score)}");
            JobJson.Write(r.GetValue(json), result.ToJson());
            return 0;
        }));
        return command;
    }
}
