using System.Diagnostics;
using Ristretto.Data.Images;

namespace Ristretto.Bench;

/// <summary>
/// The two resizes the preprocessing presets use, on a 500×375 colour image (ImageNet's typical size) to shorter side
/// 256 (341×256), in the same run: torchvision's antialiased bilinear (libtorch on 8-bit pixels) against Caffe's
/// OpenCV <c>INTER_LINEAR</c>. The pixels are synthetic; neither resize's time depends on them.
/// </summary>
internal sealed class ResizeBenchmark : IBenchmark
{
    public string Name => "resize";

    public string Description => "antialiased (torchvision/Pillow) vs INTER_LINEAR (Caffe/OpenCV) resize of a 500×375 colour image to shorter side 256 (ms, ratio)";

    public void Run(BenchOptions options)
    {
        const int height = 375, width = 500, runs = 5;
        int calls = options.Quick ? 5 : 50;
        var pixels = new byte[height * width * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                    pixels[(y * width + x) * 3 + c] = (byte)((x * (c + 1) + y * 3 + ((x * 7919) ^ (y * 104729)) % 17) & 0xFF);
        var image = new DecodedImage(pixels, height, width, 3, ChannelOrder.Rgb);
        var (h, w) = Preprocessing.ImageNet.ResizedSize(height, width);
        Console.WriteLine($"{width}×{height} → {w}×{h}, median of {runs} runs of {calls} calls, {Environment.ProcessorCount} cores, libtorch threads {TorchSharp.torch.get_num_threads()}");
        double antialias = MedianMs(runs, calls, () => Preprocessing.ResizeAntialias(image, h, w));
        double linear = MedianMs(runs, calls, () => Preprocessing.ResizeLinear(image, h, w));
        Console.WriteLine($"{"antialias (libtorch)",-24} {antialias,8:F3} ms");
        Console.WriteLine($"{"INTER_LINEAR (OpenCV)",-24} {linear,8:F3} ms");
        Console.WriteLine($"{"ratio",-24} {antialias / linear,8:F1}x");
    }

    /// <summary>The median over <paramref name="runs"/> runs of the mean time of one call, after a warm-up run.</summary>
    private static double MedianMs(int runs, int calls, Func<DecodedImage> resize)
    {
        for (int i = 0; i < calls; i++)
            resize();
        var times = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < calls; i++)
                resize();
            times[r] = sw.Elapsed.TotalMilliseconds / calls;
        }
        Array.Sort(times);
        return times[runs / 2];
    }
}
