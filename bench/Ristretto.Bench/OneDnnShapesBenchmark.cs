using System.Globalization;
using Ristretto.Engine;
using Ristretto.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Bench;

/// <summary>
/// Which convolution shapes libtorch's oneDNN gets wrong, and whether the padded path (<c>ConvolutionLayer.Apply</c>) is
/// right on every one: with libc10's junk fill (new buffers hold a NaN pattern, so a kernel reading memory it did not
/// write shows at once) each shape runs through ATen (oneDNN off: the reference), raw oneDNN and the layer's padded
/// path, forward and backward (input, weight and bias gradients), and prints the largest difference from ATen relative
/// to ATen's largest magnitude (inf: non-finite). Run it twice to see both ISAs: plain, and with
/// <c>ONEDNN_MAX_CPU_ISA=AVX2</c> (8-channel blocks).
/// </summary>
internal sealed class OneDnnShapesBenchmark : IBenchmark
{
    public string Name => "onednn-shapes";

    public string Description => "oneDNN partial channel blocks: ATen vs raw oneDNN vs the padded convolution, forward and backward, junk-filled memory, many shapes";

    private sealed record Case(string Kind, long Batch, long In, long Out, long Groups, long Kernel, long Stride, long Pad, long Dilation, long Size = 10);

    public void Run(BenchOptions options)
    {
        TorchRuntime.Initialize();
        var cases = new List<Case>();
        long[] ins = options.Quick ? [3, 16, 17, 20, 32] : [1, 3, 4, 7, 8, 9, 12, 15, 16, 17, 20, 24, 31, 32, 33, 40, 48, 50, 64];
        long[] outs = options.Quick ? [20, 50] : [8, 12, 16, 20, 50];
        foreach (long i in ins)
            foreach (long o in outs)
                cases.Add(new Case("conv", 4, i, o, 1, 3, 1, 1, 1));
        foreach (var (i, o, g) in new (long, long, long)[] { (40, 40, 2), (48, 48, 2), (40, 100, 2), (60, 60, 3), (64, 64, 2), (24, 24, 3), (32, 64, 4), (80, 40, 4), (36, 36, 3), (64, 100, 2), (80, 64, 2), (96, 100, 2), (34, 34, 2), (128, 40, 2), (64, 48, 4) })
            cases.Add(new Case("grouped", 4, i, o, g, 3, 1, 1, 1));
        foreach (long c in new long[] { 8, 12, 16, 20, 24, 32, 40, 96, 144 })
        {
            cases.Add(new Case("depthwise", 4, c, c, c, 3, 1, 1, 1));
            cases.Add(new Case("depthwise×2", 4, c, 2 * c, c, 3, 1, 1, 1));
        }
        foreach (var (i, o) in new (long, long)[] { (20, 1), (20, 3), (32, 5), (9, 16), (13, 32) })
            cases.Add(new Case("conv", 4, i, o, 1, 3, 1, 1, 1));
        cases.Add(new Case("1×1", 4, 20, 50, 1, 1, 1, 0, 1));
        cases.Add(new Case("1×1 b64", 64, 20, 50, 1, 1, 1, 0, 1));
        cases.Add(new Case("stride 2", 4, 20, 50, 1, 3, 2, 1, 1));
        cases.Add(new Case("dilation 2", 4, 20, 50, 1, 3, 1, 2, 2));
        cases.Add(new Case("5×5 b1", 1, 20, 50, 1, 5, 1, 0, 1, 12));
        cases.Add(new Case("5×5 b64", 64, 20, 50, 1, 5, 1, 0, 1, 12));
        foreach (var (i, o) in new (long, long)[] { (16, 16), (20, 50), (32, 50), (50, 20), (20, 16), (8, 12), (12, 8) })
        {
            cases.Add(new Case("transposed", 4, i, o, 1, 4, 2, 1, 1));
            cases.Add(new Case("transposed", 4, i, o, 1, 3, 1, 1, 1));
        }

        Console.WriteLine($"ONEDNN_MAX_CPU_ISA={Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? "(unset)"}; policy {OneDnn.Use}; junk-filled buffers; error = max |Δ| / max |ATen| (inf: non-finite)");
        Console.WriteLine($"{"kind",-12} {"N",3} {"in",4} {"out",4} {"g",4} {"k",2} {"s",2} {"p",2} {"d",2} | {"raw fwd",9} {"raw bwd",9} | {"pad eval",9} {"pad fwd",9} {"pad bwd",9}");
        bool was = LibTorchContext.Mkldnn == true;
        bool zeroWas = LibTorchContext.AllocatorZeroFill == true;
        int rawBad = 0, padBad = 0;
        try
        {
            if (!LibTorchContext.TrySetAllocatorJunkFill(true))
                throw new RistrettoException("libc10 does not export its junk-fill flag");
            foreach (var c in cases)
            {
                using var scope = NewDisposeScope();
                var r = Measure(c);
                bool raw = r.RawForward > 1e-5 || r.RawBackward > 1e-5;
                bool pad = r.PaddedEval > 1e-5 || r.PaddedForward > 1e-5 || r.PaddedBackward > 1e-5;
                rawBad += raw ? 1 : 0;
                padBad += pad ? 1 : 0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Kind,-12} {c.Batch,3} {c.In,4} {c.Out,4} {c.Groups,4} {c.Kernel,2} {c.Stride,2} {c.Pad,2} {c.Dilation,2} | {F(r.RawForward),9} {F(r.RawBackward),9} | {F(r.PaddedEval),9} {F(r.PaddedForward),9} {F(r.PaddedBackward),9}{(raw ? "  raw wrong" : "")}{(pad ? "  PADDED WRONG" : "")}"));
            }
        }
        finally
        {
            LibTorchContext.TrySetAllocatorJunkFill(false);
            LibTorchContext.TrySetAllocatorZeroFill(zeroWas);
            LibTorchContext.TrySetMkldnn(was);
        }
        Console.WriteLine($"{cases.Count} shapes: raw oneDNN wrong on {rawBad}, the padded path wrong on {padBad}");
    }

    private static string F(double e) => double.IsNaN(e) ? "-" : double.IsFinite(e) ? e.ToString("0.0e+0", CultureInfo.InvariantCulture) : "inf";

    private sealed record Errors(double RawForward, double RawBackward, double PaddedEval, double PaddedForward, double PaddedBackward);

    private static Errors Measure(Case c)
    {
        using var generator = new Generator(7);
        using var half = 0.5f.ToScalar();
        bool transposed = c.Kind == "transposed";
        long[] wShape = transposed ? [c.In, c.Out / c.Groups, c.Kernel, c.Kernel] : [c.Out, c.In / c.Groups, c.Kernel, c.Kernel];
        var x = rand([c.Batch, c.In, c.Size, c.Size], generator: generator);
        var w = rand(wShape, generator: generator).sub_(half);
        var b = rand([c.Out], generator: generator).sub_(half);
        Tensor Run(Tensor xi, Tensor wi, Tensor bi) => transposed
            ? nn.functional.conv_transpose2d(xi, wi, bi, [c.Stride, c.Stride], [c.Pad, c.Pad], [0, 0], [c.Dilation, c.Dilation], c.Groups)
            : nn.functional.conv2d(xi, wi, bi, [c.Stride, c.Stride], [c.Pad, c.Pad], [c.Dilation, c.Dilation], c.Groups);
        var dy = rand(Run(x, w, b).shape, generator: generator).sub_(half);

        LibTorchContext.TrySetMkldnn(false);
        var reference = Pass(x, w, b, dy, Run);
        LibTorchContext.TrySetMkldnn(true);
        var raw = Pass(x, w, b, dy, Run);
        double rawForward = Error(reference[0], raw[0]);
        double rawBackward = reference.Skip(1).Zip(raw.Skip(1), Error).Max();
        var geometry = new ConvolutionLayer.Geometry((c.Kernel, c.Kernel), (c.Stride, c.Stride), (c.Pad, c.Pad), (c.Dilation, c.Dilation), c.Groups);
        using Graph.Layer layer = transposed
            ? new DeconvolutionLayer("d", new Parameter(w.clone()), new Parameter(b.clone()), geometry)
            : new ConvolutionLayer("c", new Parameter(w.clone()), new Parameter(b.clone()), geometry);
        var weighted = (Graph.IWeightedLayer)layer;
        double eval;
        using (inference_mode())
        using (OneDnn.Evaluation())
        {
            LibTorchContext.TrySetMkldnn(true); // whatever the policy
            var first = weighted.Apply(x, weighted.Weight, weighted.Bias);
            var second = weighted.Apply(x, weighted.Weight, weighted.Bias); // the cached padded weights
            eval = Math.Max(Error(reference[0], first), Error(reference[0], second));
        }
        Tensor[] padded;
        using (OneDnn.Evaluation()) // holding "on": a pass with gradients pads its outputs too, as under RISTRETTO_MKLDNN=1
        {
            LibTorchContext.TrySetMkldnn(true);
            padded = Pass(x, w, b, dy, weighted.Apply);
        }
        return new Errors(rawForward, rawBackward, eval, Error(reference[0], padded[0]), reference.Skip(1).Zip(padded.Skip(1), Error).Max());
    }

    /// <summary>Output and the gradients of input, weight and bias for output gradient <paramref name="dy"/>.</summary>
    private static Tensor[] Pass(Tensor x, Tensor w, Tensor b, Tensor dy, Func<Tensor, Tensor, Tensor, Tensor> run)
    {
        var xi = x.detach().clone().requires_grad_(true);
        var wi = w.detach().clone().requires_grad_(true);
        var bi = b.detach().clone().requires_grad_(true);
        var y = run(xi, wi, bi);
        y.backward([dy]);
        return [y.detach().clone(), xi.grad!.clone(), wi.grad!.clone(), bi.grad!.clone()];
    }

    private static double Error(Tensor reference, Tensor value)
    {
        if (!value.isfinite().all().item<bool>())
            return double.PositiveInfinity;
        double scale = Math.Max(1e-12, reference.abs().max().item<float>());
        return value.sub(reference).abs().max().item<float>() / scale;
    }
}
