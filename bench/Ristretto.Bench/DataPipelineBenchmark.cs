using System.Diagnostics;
using System.Globalization;
using Ristretto.Data;
using Ristretto.Data.Images;
using Ristretto.Data.Sources;
using Ristretto.Graph;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// Whether streaming keeps a CPU evaluation fed, in one run on 1,024 synthetic 500×375 JPEGs: D, the decode+transform
/// throughput of a <see cref="StreamingImageSet"/> with no cache and no read-ahead (every core decoding); M, the model's
/// throughput on random batches; E, end to end, a fresh set with no cache and the default read-ahead feeding the model
/// (batch k+1 decodes while the model runs on batch k), each file read once. On shared cores decoding and the model
/// cannot both run at full speed, so the target is 90 % of running them one after the other: T = 0.9 / (1/M + 1/D).
/// The three are measured interleaved; the figures are medians over the runs. The model is SqueezeNet 1.1, not
/// ResNet-18: on two cores ResNet-18 ran at 5–7 img/s, so a single E pass would take about three minutes.
/// </summary>
internal sealed class DataPipelineBenchmark : IBenchmark
{
    private const string ModelName = "squeezenet1.1";
    private const int Batch = 32;
    private static readonly long[] Shape = [3, 224, 224];

    public string Name => "data-pipeline";

    public string Description => "JPEG decode+transform (D) vs SqueezeNet 1.1 (M) vs streamed end to end (E) on the CPU, img/s; target E ≥ 0.9 / (1/M + 1/D)";

    public void Run(BenchOptions options)
    {
        if (options.Device != "cpu")
            Console.WriteLine($"note: this benchmark measures the CPU; running on cpu (asked for {options.Device})");
        int images = options.Quick ? 256 : 1024, runs = options.Quick ? 3 : 5;
        double modelSeconds = options.Quick ? 2 : 5;
        string folder = Path.Combine(Path.GetTempPath(), "ristretto-bench", $"data-pipeline-{Environment.ProcessId}");
        try
        {
            var watch = Stopwatch.StartNew();
            long bytes = SyntheticPhotos.Write(folder, images);
            Console.WriteLine(Invariant($"{images} distinct JPEGs of 500×375 (quality 90, mean {bytes / images / 1024.0:F1} KB) written in {watch.Elapsed.TotalSeconds:F1} s to {folder}; they sit in the page cache, so D and E measure decoding, not the disk"));
            using var network = ModelZoo.Create(ModelName);
            Console.WriteLine($"{ModelName} (eval, no_grad), batch {Batch}, {Environment.ProcessorCount} cores, libtorch threads {get_num_threads()}, decode workers {new StreamingOptions().Workers}, read-ahead {(Environment.GetEnvironmentVariable("RISTRETTO_BENCH_PREFETCH") is { } n ? n : "default (0 on the CPU)")} batches in E");
            Console.WriteLine($"preprocessing {Preprocessing.ImageNet.Describe()}; M: ≥ {modelSeconds} s of random batches; T = 0.9 / (1/M + 1/D)");
            Decode(folder, 2 * Batch); // warm-up
            Model(network, 0);
            Report(folder, network, images, runs, modelSeconds);
        }
        finally
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Measures D, M and E interleaved <paramref name="runs"/> times and prints each run and the medians.</summary>
    private static void Report(string folder, Network network, int images, int runs, double modelSeconds)
    {
        var rows = new List<(Pass D, Pass M, Pass E, double T)>();
        Console.WriteLine($"{"run",4} {"D img/s",9} {"M img/s",9} {"E img/s",9} {"T img/s",9} {"E/T",6} {"E waiting",10} {"cores D/M/E",14}");
        for (int r = 0; r < runs; r++)
        {
            var (d, m, e) = (Decode(folder, images), Model(network, modelSeconds), EndToEnd(folder, network));
            double t = 0.9 / (1 / m.Rate + 1 / d.Rate);
            rows.Add((d, m, e, t));
            Console.WriteLine(Invariant($"{r + 1,4} {d.Rate,9:F1} {m.Rate,9:F1} {e.Rate,9:F1} {t,9:F1} {e.Rate / t,6:F2} {e.Waiting,10:P0} {$"{d.Cores:F1}/{m.Cores:F1}/{e.Cores:F1}",14}"));
        }
        double Med(Func<(Pass D, Pass M, Pass E, double T), double> pick)
        {
            var sorted = rows.Select(pick).Order().ToArray();
            return sorted[sorted.Length / 2];
        }
        double ratio = Med(x => x.E.Rate / x.T);
        string cores = Invariant($"{Med(x => x.D.Cores):F1}/{Med(x => x.M.Cores):F1}/{Med(x => x.E.Cores):F1}");
        Console.WriteLine(Invariant($"{"med",4} {Med(x => x.D.Rate),9:F1} {Med(x => x.M.Rate),9:F1} {Med(x => x.E.Rate),9:F1} {Med(x => x.T),9:F1} {ratio,6:F2} {Med(x => x.E.Waiting),10:P0} {cores,14}   (medians of {runs} interleaved runs)"));
        bool eachOnce = rows.All(x => x.D.EachReadOnce && x.E.EachReadOnce);
        Console.WriteLine($"each file read once per pass (D and E): {(eachOnce ? "yes" : "NO")}; E waiting: the share of E's time the model waited for its batch; cores: this process's CPU time / wall time");
        Console.WriteLine(Invariant($"E/T = {ratio:F2} (target ≥ 1: end to end at least 90 % of decoding, then computing): {(ratio >= 1 ? "pass" : "FAIL")}"));
    }

    /// <summary>One pass over the first <paramref name="count"/> files, no cache, no read-ahead.</summary>
    private static Pass Decode(string folder, int count)
    {
        var source = new ReadCountingSource(ImageFileSource.FromFlatFolder(folder));
        using var set = Open(source, new StreamingOptions { CacheBytes = 0, Prefetch = 0 });
        count = Math.Min(count, set.Count);
        var clock = Clock.Start();
        for (int start = 0; start < count; start += Batch)
        {
            using var scope = NewDisposeScope();
            set.Slice(start, Math.Min(Batch, count - start));
        }
        return clock.Stop(count, 0, source.Reads == count);
    }

    /// <summary>The model on random batches, for at least <paramref name="minSeconds"/> seconds and two batches.</summary>
    private static Pass Model(Network network, double minSeconds)
    {
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        manual_seed(1);
        var x = randn([Batch, .. Shape]);
        int done = 0;
        var clock = Clock.Start();
        while (clock.Seconds < minSeconds || done < 2 * Batch)
        {
            using var scope = NewDisposeScope();
            network.forward(x);
            done += Batch;
        }
        return clock.Stop(done, 0, true);
    }

    /// <summary>A fresh set (no cache, the default read-ahead) feeding the model every batch; waiting is the time spent in <c>Slice</c>.</summary>
    private static Pass EndToEnd(string folder, Network network)
    {
        using var noGrad = no_grad();
        var clock = Clock.Start();
        var source = new ReadCountingSource(ImageFileSource.FromFlatFolder(folder));
        using var set = Open(source, new StreamingOptions
        {
            CacheBytes = 0,
            Prefetch = Environment.GetEnvironmentVariable("RISTRETTO_BENCH_PREFETCH") is { } n ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : null,
        });
        var waiting = new Stopwatch();
        for (int start = 0; start < set.Count; start += Batch)
        {
            using var scope = NewDisposeScope();
            waiting.Start();
            var (x, _) = set.Slice(start, Math.Min(Batch, set.Count - start));
            waiting.Stop();
            network.forward(x);
        }
        return clock.Stop(set.Count, waiting.Elapsed.TotalSeconds, source.EachReadOnce);
    }

    private static StreamingImageSet Open(IImageSource source, StreamingOptions options) =>
        new(source, Preprocessing.ImageNet, Shape, CPU, options);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One measured pass: images per second, the share of the time spent waiting for data, this process's cores in use, whether each file was read once.</summary>
    private sealed record Pass(double Rate, double Waiting, double Cores, bool EachReadOnce);

    /// <summary>Wall time and this process's CPU time since <see cref="Start"/>.</summary>
    private sealed class Clock
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly TimeSpan _cpu = CpuTime();

        public static Clock Start() => new();

        public double Seconds => _wall.Elapsed.TotalSeconds;

        public Pass Stop(int images, double waitingSeconds, bool eachReadOnce)
        {
            double seconds = Seconds;
            return new Pass(images / seconds, waitingSeconds / seconds, (CpuTime() - _cpu).TotalSeconds / seconds, eachReadOnce);
        }

        private static TimeSpan CpuTime()
        {
            using var process = Process.GetCurrentProcess();
            return process.TotalProcessorTime;
        }
    }
}
