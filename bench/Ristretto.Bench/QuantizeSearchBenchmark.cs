using System.Diagnostics;
using System.Globalization;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Jobs;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Search;
using Ristretto.Zoo;

namespace Ristretto.Bench;

/// <summary>
/// Wall time of the whole default DFP search on LeNet/MNIST against (evaluations × one float pass over
/// the same test batches), measured in one run: the overhead of trimming and of building plans. Then one full
/// evaluation of the chosen plan (weights trimmed once, every conv/FC input and output trimmed each batch, no
/// prefix reuse) against one float pass: the cost of trimming itself.
/// </summary>
internal sealed class QuantizeSearchBenchmark : IBenchmark
{
    public string Name => "quantize-search";

    public string Description => "default DFP search on LeNet/MNIST vs evaluations × one float pass (target ≤ 1.3); trimmed vs float evaluation (target ≤ 1.1)";

    public void Run(BenchOptions options)
    {
        var device = DeviceSelector.Resolve(options.Device);
        string path = DefaultModels.EnsureLeNetMnist(device, Console.WriteLine);
        using var network = (Network)ModelStore.Load(path, device).Model;
        var files = DatasetFiles.Resolve("mnist", Console.WriteLine);
        using var train = new TensorImageSet(files.LoadTrain(), device);
        using var test = new TensorImageSet(files.LoadTest(), device);
        int iterations = options.Quick ? 20 : 100;

        Evaluator.Evaluate(network, test, 100, iterations); // warm-up
        var floatPasses = new List<double>();
        for (int i = 0; i < 3; i++)
            floatPasses.Add(Evaluator.Evaluate(network, test, 100, iterations).Seconds);
        floatPasses.Sort();
        double floatPass = floatPasses[1];

        var watch = Stopwatch.StartNew();
        var ranges = Calibration.Measure(network, train, 10, 64);
        var result = new RistrettoDfpSearch(network, ranges, test, iterations, 100).Run(1);
        double search = watch.Elapsed.TotalSeconds;
        double budget = result.Evaluations * floatPass;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"one float pass over {iterations * 100:N0} images: {floatPass:F3} s (median of 3)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"whole search incl. calibration: {search:F2} s for {result.Evaluations} evaluations; evaluations × float pass = {budget:F2} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio search / (evaluations × float pass) = {search / budget:F2} (target ≤ 1.3)"));

        // One evaluation of the chosen plan, from the input (no prefix reuse), alternated with float passes so
        // both see the same machine load.
        using var quantized = new QuantizedNetwork(network, result.Plan);
        quantized.eval();
        Evaluator.Evaluate(quantized, test, 100, iterations); // warm-up
        var trimmedPasses = new List<double>();
        var floatAgain = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            trimmedPasses.Add(Evaluator.Evaluate(quantized, test, 100, iterations).Seconds);
            floatAgain.Add(Evaluator.Evaluate(network, test, 100, iterations).Seconds);
        }
        trimmedPasses.Sort();
        floatAgain.Sort();
        double trimmedPass = trimmedPasses[2];
        double floatBeside = floatAgain[2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"one evaluation of the chosen plan ({result.ConvWeightBits?.ToString() ?? "float"}/{result.FcWeightBits?.ToString() ?? "float"}/{result.ActivationBits?.ToString() ?? "float"}, every layer trimmed): {trimmedPass:F3} s vs float {floatBeside:F3} s (medians of 5, alternated)"));
        var skipped = result.Plan.Layers.Keys.Where(l => QuantizedNetwork.InputAlreadyOnGrid(network, l, result.Plan)).ToList();
        Console.WriteLine($"input trims skipped (already on the producer's grid): {(skipped.Count == 0 ? "none" : string.Join(", ", skipped))}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio trimmed / float evaluation = {trimmedPass / floatBeside:F2} (target ≤ 1.1)"));
    }
}
