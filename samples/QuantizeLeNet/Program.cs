// Quantizes the embedded default LeNet (trained on MNIST once and cached) through the library, as
// `ristretto quantize --widths 8/8/8 --plan plan.json` does, and prints what it found.
//
//   dotnet run --project samples/QuantizeLeNet -c Release [-- PLAN.json]
//
// With a NuGet feed holding the Ristretto packages, reference the `Ristretto` package instead of the project.
using System.Globalization;
using Ristretto;
using Ristretto.Evaluation;
using Ristretto.Jobs;

string planPath = args.Length > 0 ? args[0] : "plan.json";
try
{
    var settings = new QuantizeSettings
    {
        Model = "lenet",                                 // or a .rstm, .onnx or Caffe .prototxt file
        Device = "cpu",
        Data = new Ristretto.Data.DataSettings { Data = "mnist" },
        Widths = new BitWidths(8, 8, 8),                 // remove to run Ristretto's sweeps instead
        Margin = new ErrorMargin(Metric.Top1, 1.0),      // at most 1 point of top-1 below float
        PlanPath = planPath,
    }.Validate();                                        // refuses bad combinations before anything is loaded

    var result = Quantizer.Run(settings, new ConsoleObserver());
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{result.NetworkName}: float top-1 {100 * result.Baseline.Top1:F2} %, 8/8/8 dynamic fixed point {100 * result.Quantized.Top1:F2} %"));
    foreach (var (layer, spec) in result.Plan.Layers)
        Console.WriteLine($"  {layer,-8} weights {spec.Weights?.BitWidth.ToString(CultureInfo.InvariantCulture) ?? "float"} bits, input {spec.Input?.BitWidth.ToString(CultureInfo.InvariantCulture) ?? "float"} bits");
    Console.WriteLine($"plan written to {result.PlanPath}");
    Console.WriteLine(JobJson.Serialize(result.ToJson()));
    return 0;
}
catch (RistrettoException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

/// <summary>Progress as plain lines on standard error.</summary>
internal sealed class ConsoleObserver : IJobObserver
{
    public T Stage<T>(string title, int total, Func<Action<int, string>, T> work) =>
        work((done, detail) => Console.Error.WriteLine($"{title}: {done}/{total} {detail}"));

    public void Info(string line) => Console.Error.WriteLine(line);
}
