using System.Globalization;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Training;
using Ristretto.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// The oneDNN NaN reproduction (docs/performance.md): LeNet on MNIST, seed 2, batch 64, Caffe's solver, with oneDNN's
/// convolutions on. Unlike the trainer it does not stop at a non-finite loss: it counts such iterations, recomputes the
/// same forward pass to see whether the NaN repeats, names the first layer whose output is non-finite, and skips that
/// update. <c>RISTRETTO_REPRO_GC</c> = <c>normal</c> (default), <c>stress</c> (a thread forcing full collections and
/// finalizers all the time) or <c>none</c> (a no-GC region: no collection, so no finalizer runs, during the whole run);
/// <c>RISTRETTO_REPRO_ITERATIONS</c> (default 500, 100 with --quick). <c>RISTRETTO_REPRO_FILL</c> = <c>none</c> (default: the
/// bug shows now and then), <c>zero</c> (libc10's allocator zero-fills new buffers: no NaN, but conv2 silently misses its
/// channels 16–19), <c>junk</c> (new buffers hold a NaN pattern: the bug shows on every iteration; c10 refuses junk and zero fill together).
/// <c>RISTRETTO_MKLDNN=0</c> runs the same with oneDNN off.
/// </summary>
internal sealed class OneDnnNanBenchmark : IBenchmark
{
    public string Name => "onednn-nan";

    public string Description => "oneDNN NaN reproduction: LeNet seed 2 training with oneDNN on; counts non-finite losses (RISTRETTO_REPRO_GC=normal|stress|none, RISTRETTO_REPRO_FILL=none|zero|junk)";

    public void Run(BenchOptions options)
    {
        string gc = Environment.GetEnvironmentVariable("RISTRETTO_REPRO_GC") ?? "normal";
        int iterations = int.TryParse(Environment.GetEnvironmentVariable("RISTRETTO_REPRO_ITERATIONS"), CultureInfo.InvariantCulture, out int n) ? n : options.Quick ? 100 : 500;
        string fill = Environment.GetEnvironmentVariable("RISTRETTO_REPRO_FILL") ?? "none";
        TorchRuntime.Initialize();
        if (fill is not ("zero" or "none" or "junk"))
            throw new RistrettoException($"RISTRETTO_REPRO_FILL={fill}: expected none (default), zero or junk");
        LibTorchContext.TrySetMkldnn(Environment.GetEnvironmentVariable(TorchRuntime.MkldnnVariable) != "0");
        LibTorchContext.TrySetAllocatorZeroFill(fill == "zero");
        LibTorchContext.TrySetAllocatorJunkFill(fill == "junk");
        var files = DatasetFiles.Resolve("mnist", Console.WriteLine);
        using var train = new TensorImageSet(files.LoadTrain(), CPU);
        using var net = LeNet.Build(train.Source.Classes, seed: 2);
        var settings = new SolverSettings { Iterations = iterations, BatchSize = 64, Seed = 2 };
        var parameters = net.named_parameters().ToList();
        using var solver = Solvers.Create(parameters, settings);
        var order = new BatchOrder(train.Count, settings.Seed, settings.Shuffle);
        Console.WriteLine($"oneDNN {(LibTorchContext.Mkldnn == true ? "on" : "off")}; allocator fill {fill}; {get_num_threads()} intra-op threads; GC {gc}; {iterations} iterations; "
            + $"ONEDNN_MAX_CPU_ISA={Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? "(unset)"}");

        using var stop = new CancellationTokenSource();
        Thread? stress = null;
        if (gc == "stress")
        {
            stress = new Thread(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
            }) { IsBackground = true };
            stress.Start();
        }
        else if (gc == "none" && !GC.TryStartNoGCRegion(240L << 20))
            throw new RistrettoException("could not start a no-GC region");

        int bad = 0, repeated = 0, badGradients = 0;
        var firstBad = new Dictionary<string, int>(StringComparer.Ordinal);
        net.train();
        for (int t = 0; t < iterations; t++)
        {
            using var scope = NewDisposeScope();
            foreach (var (_, p) in parameters)
                p.grad = null;
            var (x, y) = train.Gather(order.Batch(t, settings.BatchSize), t);
            var loss = nn.functional.cross_entropy(net.forward(x), y);
            double value = loss.item<float>();
            if (double.IsFinite(value))
            {
                loss.backward();
                if (parameters.All(p => p.parameter.grad is { } g && g.isfinite().all().item<bool>()))
                {
                    solver.Step(t);
                    continue;
                }
                badGradients++;
                Console.WriteLine($"iteration {t + 1}: finite loss, non-finite gradients (update skipped)");
                continue;
            }
            bad++;
            // Same inputs, same weights, same mode (gradients recorded), twice more; then layer by layer.
            int again = 0;
            for (int k = 0; k < 2; k++)
                if (!double.IsFinite(nn.functional.cross_entropy(net.forward(x), y).item<float>()))
                    again++;
            if (again > 0)
                repeated++;
            string where = FirstNonFinite(net, x);
            firstBad[where] = firstBad.GetValueOrDefault(where) + 1;
            bool weightsFinite = parameters.All(p => p.parameter.isfinite().all().item<bool>());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"iteration {t + 1}: loss {value}; input finite {x.isfinite().all().item<bool>()}; weights finite {weightsFinite}; recomputed twice: {again} non-finite; first non-finite blob on a fourth pass: {where}"));
        }
        stop.Cancel();
        stress?.Join();
        if (gc == "none" && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
            GC.EndNoGCRegion();
        Console.WriteLine($"non-finite losses: {bad} of {iterations} iterations ({repeated} repeated on recomputation), {badGradients} with non-finite gradients; "
            + $"first non-finite blob: {(firstBad.Count == 0 ? "-" : string.Join(", ", firstBad.Select(kv => $"{kv.Key} ×{kv.Value}")))}; "
            + $"collections gen0/1/2: {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
    }

    private static string FirstNonFinite(Graph.Network net, Tensor x)
    {
        string first = "none";
        net.Run(new Dictionary<string, Tensor> { [net.Inputs[0].Name] = x }, (blob, _, value) =>
        {
            if (first == "none" && !value.isfinite().all().item<bool>())
                first = blob;
        });
        return first;
    }
}
