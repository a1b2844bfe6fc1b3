using System.Diagnostics;
using Ristretto.Data.Images;
using SkiaSharp;

namespace Ristretto.Bench;

/// <summary>
/// The two native image libraries the project can use, on the same JPEGs in one run: OpenCV (the data sources' choice)
/// against SkiaSharp (in the tree through ScottPlot), JPEG decode time on one thread. SkiaSharp runs first: after OpenCV
/// has decoded, SkiaSharp's JPEG decoder crashes the process here.
/// </summary>
internal sealed class DecoderBenchmark : IBenchmark
{
    public string Name => "decoders";

    public string Description => "OpenCV vs SkiaSharp: JPEG decode of 500×375 photo-like images (ms per image, ratio)";

    public void Run(BenchOptions options)
    {
        int count = options.Quick ? 16 : 64, runs = 5;
        string folder = Path.Combine(Path.GetTempPath(), "ristretto-bench", $"decoders-{Environment.ProcessId}");
        SyntheticPhotos.Write(folder, count);
        try
        {
            var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
            Console.WriteLine($"{count} JPEGs of 500×375, one thread, median of {runs} runs");
            // SkiaSharp first: once OpenCV has decoded in this process, SkiaSharp's JPEG decoder crashes it (segmentation
            // fault on this machine: both native libraries carry their own libjpeg), so the two cannot share a process.
            double skDecode = Median(runs, () => { foreach (var f in files) SKBitmap.Decode(f).Dispose(); }) / count;
            double cvDecode = Median(runs, () => { foreach (var f in files) ImageCodec.Decode(f, 3, "bench"); }) / count;
            Console.WriteLine($"{"decode",-10} OpenCV {cvDecode,7:F3} ms   SkiaSharp {skDecode,7:F3} ms   SkiaSharp/OpenCV {skDecode / cvDecode:F2}x");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double Median(int runs, Action work)
    {
        work();
        var times = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            var watch = Stopwatch.StartNew();
            work();
            times[r] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[runs / 2];
    }
}
