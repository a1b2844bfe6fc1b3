using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Ristretto.Evaluation;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// The most that eval-vs-ort can reach with libtorch's kernels: the time oneDNN's convolutions alone take in our float
/// pass (their execution times as <c>ONEDNN_VERBOSE=profile_exec</c> prints them, summed over the passes of a child
/// process) against ONNX Runtime's whole pass over the same network and batch. A ceiling below 1 says that no change to
/// our graph, layouts or slices can bring our pass to ONNX Runtime's speed: only faster convolution kernels can.
/// Rounds alternate a child run and an ONNX Runtime slot.
/// </summary>
internal sealed partial class ConvFloorBenchmark : IBenchmark
{
    /// <summary>The first argument that makes the bench run our passes as a child, with oneDNN's verbose output on.</summary>
    public const string ChildFlag = "--conv-floor-child";

    private const string Marker = "== timed passes ==";

    public string Name => "conv-floor";

    public string Description => "oneDNN's convolution time alone in our pass vs ONNX Runtime's whole pass (the ceiling of eval-vs-ort): ResNet-18 b32, LeNet b64/b1000";

    public void Run(BenchOptions options)
    {
        int rounds = 5;
        int threads = get_num_threads();
        Console.WriteLine($"{threads} intra-op threads for both engines; {rounds} rounds, each a child process (oneDNN verbose, our passes) and an ONNX Runtime slot");
        Console.WriteLine($"{"network",-10} {"batch",5} {"conv ms/img",12} {"reorder ms/img",15} {"our pass ms/img",16} {"ORT ms/img",11} {"ceiling = ORT ÷ conv, median [min–max]",40}");
        foreach (var (name, batch, passes) in new[] { ("resnet18", 32, options.Quick ? 2 : 4), ("lenet", 64, 200), ("lenet", 1000, options.Quick ? 10 : 30) })
        {
            using var net = EvalVsOrtBenchmark.Load(name, CPU);
            net.eval();
            var (input, shape) = EvalVsOrtBenchmark.RandomBatch(net, batch, name);
            using var session = EvalVsOrtBenchmark.OrtSession(net, threads);
            var feeds = EvalVsOrtBenchmark.OrtFeeds(session, input, shape);
            for (int i = 0; i < 3; i++)
                session.Run(feeds).Dispose();
            var conv = new List<double>();
            var reorder = new List<double>();
            var ours = new List<double>();
            var ort = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                var child = Child(name, batch, passes);
                conv.Add(child.Conv);
                reorder.Add(child.Reorder);
                ours.Add(child.Pass);
                var watch = Stopwatch.StartNew();
                int runs = 0;
                while (watch.Elapsed.TotalSeconds < child.Pass * batch * passes / 1000.0 || runs < 3)
                {
                    session.Run(feeds).Dispose();
                    runs++;
                }
                ort.Add(watch.Elapsed.TotalMilliseconds / runs / batch);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-10} {batch,5} {Spread.Of(conv).Median,12:F3} {Spread.Of(reorder).Median,15:F3} {Spread.Of(ours).Median,16:F3} {Spread.Of(ort).Median,11:F3} {Spread.Of(ort.Zip(conv, (o, c) => o / c)).Show(),40}"));
        }
        Console.WriteLine("ceiling < 1: our pass cannot reach ONNX Runtime's speed even if everything but the convolutions took no time");
    }

    /// <summary>One child run: milliseconds per image of convolution and reorder execution, and of the whole (verbose) pass.</summary>
    private static (double Conv, double Reorder, double Pass) Child(string name, int batch, int passes)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (!Environment.ProcessPath!.EndsWith("Ristretto.Bench", StringComparison.Ordinal))
            start.ArgumentList.Add(typeof(ConvFloorBenchmark).Assembly.Location);
        start.ArgumentList.Add(ChildFlag);
        start.ArgumentList.Add(name);
        start.ArgumentList.Add(batch.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(passes.ToString(CultureInfo.InvariantCulture));
        start.Environment["ONEDNN_VERBOSE"] = "profile_exec";
        using var child = Process.Start(start)!;
        double conv = 0, reorder = 0, pass = double.NaN;
        bool timed = false;
        string? line;
        while ((line = child.StandardOutput.ReadLine()) != null)
        {
            if (line == Marker)
                timed = true;
            else if (line.StartsWith("pass ", StringComparison.Ordinal))
                pass = double.Parse(line[5..], CultureInfo.InvariantCulture);
            else if (timed && line.Contains(",exec,cpu,", StringComparison.Ordinal))
            {
                var fields = line.Split(',');
                if (fields.Length < 7 || !double.TryParse(fields[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double ms))
                    continue; // not an execution record of this oneDNN version's layout
                if (fields[5] == "convolution")
                    conv += ms;
                else if (fields[5] == "reorder")
                    reorder += ms;
            }
        }
        child.WaitForExit();
        if (child.ExitCode != 0 || double.IsNaN(pass))
            throw new RistrettoException($"conv-floor: the child run of {name} batch {batch} failed (exit {child.ExitCode})");
        double images = (double)batch * passes;
        return (conv / images, reorder / images, pass);
    }

    /// <summary>Our float pass of <paramref name="name"/> at <paramref name="batch"/>, <paramref name="passes"/> times after a warm-up, between markers on stdout.</summary>
    public static int RunChild(string name, int batch, int passes)
    {
        using var net = EvalVsOrtBenchmark.Load(name, CPU);
        net.eval();
        var (input, shape) = EvalVsOrtBenchmark.RandomBatch(net, batch, name);
        using var x = tensor(input, shape);
        using var prepared = EvaluationNetwork.Prepare(net);
        void Pass()
        {
            using var scope = NewDisposeScope();
            _ = prepared.Forward(x).sum().item<float>();
        }
        Pass();
        Pass();
        _ = CStdio.fflush(IntPtr.Zero); // oneDNN prints through C's buffered stdout: what came before the marker stays before it
        Console.Out.WriteLine(Marker);
        Console.Out.Flush();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < passes; i++)
            Pass();
        double ms = watch.Elapsed.TotalMilliseconds / passes / batch;
        _ = CStdio.fflush(IntPtr.Zero);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pass {ms:R}"));
        Console.Out.Flush();
        return 0;
    }

    private static partial class CStdio
    {
        [LibraryImport("libc.so.6", EntryPoint = "fflush")]
        internal static partial int fflush(IntPtr stream);
    }
}
