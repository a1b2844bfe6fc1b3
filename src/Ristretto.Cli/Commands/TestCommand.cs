using System.CommandLine;
using Ristretto.Jobs;
using Ristretto.Cli.Infrastructure;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
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
        var device = CommonOptions.Device();
        var json = CommonOptions.Json();
        var command = new Command("test", "Score a model's top-1 and top-5 accuracy on the evaluated data.")
        {
            model, weights, plan, iterations, batch, device, json,
        };
        var data = new DataOptions(command);
        command.SetAction(r => CommandRunner.Run(_ =>
        {
            int? n = r.GetValue(iterations);
            if (n is < 1)
                throw new RistrettoException($"--iterations must be ≥ 1, got {n}");
            int size = r.GetValue(batch);
            var settings = data.Settings(r, n is { } its ? ("--iterations", its * size) : null);
            var dev = DeviceSelector.Resolve(r.GetValue(device));
            using var loadedModel = ModelLoader.Load(r.GetValue(model), dev, r.GetValue(weights), observer: ProgressDisplay.Observer);
            var (loaded, path) = (loadedModel.Model, loadedModel.Path);
            {
                using var quantized = r.GetValue(plan) is { } planPath
                    ? new QuantizedNetwork(loadedModel.Network("given a plan"), PlanFile.Load(planPath))
                    : null;
                var network = (TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>?)quantized ?? loaded;
                settings = ModelLoader.WithModelData(settings, path, data.Given(r), ProgressDisplay.Observer);
                using var job = JobData.Open(settings, loadedModel.Network("read image data with").Inputs[0].Shape, dev, eval: true, train: false, calibration: false,
                    ModelLoader.RememberedPreprocessing(path), Log.Info);
                var testSet = job.Eval!;
                int total = (testSet.Count + size - 1) / size;
                var score = ProgressDisplay.Run("test", total, report =>
                    Evaluator.Evaluate(network, testSet, size, null, new Progress(report, size)));
                Console.WriteLine($"{path} ({dev}): {JobJson.Describe(score)}");
                JobJson.Write(r.GetValue(json), JobJson.Accuracy(score));
                return 0;
            }
        }));
        return command;
    }

    /// <summary>Batches done, with the images per second so far (decoding and the model together).</summary>
    private sealed class Progress(Action<int, string> report, int batchSize) : IProgress<(int Done, int Total)>
    {
        private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();

        public void Report((int Done, int Total) value) =>
            report(value.Done, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{value.Done * (double)batchSize / Math.Max(_watch.Elapsed.TotalSeconds, 1e-9):N0} images/s"));
    }
}
