using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Tests.Engine;

/// <summary>
/// libtorch 2.10's oneDNN convolution copies a source whose channel count is not a multiple of its block (16 with
/// AVX-512, 8 with AVX2) into a padded blocked buffer and leaves the last, partial block unwritten (and so does its
/// backward pass with <c>diff_dst</c>). Our convolutions pad such channels themselves while oneDNN is on (<see cref="OneDnn"/>,
/// Layers/OneDnnConvolution). These tests switch oneDNN and libc10's allocator fill for the whole process, so nothing
/// else may run beside them.
/// </summary>
[Collection("cpu-allocator")]
public class OneDnnPaddingTests
{
    /// <summary>
    /// Outside evaluation scopes oneDNN must be off by default while libtorch's own (unpadded) convolution disagrees with
    /// ATen's on LeNet's conv2 shape: anything that calls <c>conv2d</c> directly gets ATen's kernel.
    /// </summary>
    [Fact]
    public void Should_Keep_OneDnn_Off_Outside_Evaluation_While_Its_Raw_Convolution_Disagrees_With_Atens()
    {
        TorchRuntime.Initialize();
        bool was = LibTorchContext.Mkldnn == true;
        float[] reference, onednn;
        try
        {
            Assert.True(LibTorchContext.TrySetMkldnn(false));
            reference = Conv2();
            Assert.True(LibTorchContext.TrySetMkldnn(true));
            onednn = Conv2();
        }
        finally
        {
            LibTorchContext.TrySetMkldnn(was);
        }
        double worst = reference.Zip(onednn, (a, b) => float.IsFinite(b) ? Math.Abs(a - b) : double.PositiveInfinity).Max();
        if (worst > 1e-4 && OneDnn.Use != OneDnnUse.Everywhere)
            Assert.False(was, $"oneDNN is on outside evaluation scopes but its convolution is off by {worst} on 20 input channels");
    }

    /// <summary>
    /// The default evaluation path: inside an evaluation scope (oneDNN on by default) the layer's convolution matches
    /// ATen's even when every new buffer holds a NaN pattern (c10's junk fill), on shapes that leave partial blocks
    /// (LeNet's conv2, 17 → 8, stride 2, 24 input channels; a 1×1 convolution to 100 channels, which oneDNN's channels-last
    /// kernel gets wrong, so it stays padded), twice, and hands back a dense output (a convolution with a larger kernel
    /// runs on a channels-last copy of its input and keeps that layout). Fails if the unpadded NCHW oneDNN path is used on
    /// such a shape.
    /// </summary>
    [Theory]
    [InlineData(20, 50, 5, 1, 0)]
    [InlineData(17, 8, 3, 1, 1)]
    [InlineData(20, 50, 3, 2, 1)]
    [InlineData(24, 64, 3, 1, 1)]
    [InlineData(40, 100, 1, 1, 0)]
    [InlineData(20, 100, 3, 2, 1)]
    public void Should_Match_Aten_In_An_Evaluation_With_Junk_Filled_Buffers(int inputs, int outputs, int kernel, int stride, int pad)
    {
        TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        using var generator = new Generator(5);
        using var half = 0.5f.ToScalar();
        var x = rand([4, inputs, 12, 12], generator: generator);
        using var layer = new ConvolutionLayer("c", new Parameter(rand([outputs, inputs, kernel, kernel], generator: generator).sub_(half)),
            new Parameter(rand([outputs], generator: generator)), ConvolutionLayer.Geometry.Square(kernel, stride, pad));
        Tensor reference;
        using (no_grad())
            reference = layer.Apply(x, layer.Weight, layer.Bias); // outside a scope: ATen under the default policy
        var results = new List<Tensor>();
        WithJunkFill(() =>
        {
            using var mode = inference_mode();
            using var evaluation = OneDnn.Evaluation();
            if (OneDnn.Use == OneDnnUse.Evaluation)
                Assert.True(OneDnn.Active, "an evaluation scope turns oneDNN on by default");
            results.Add(layer.Apply(x, layer.Weight, layer.Bias));
            results.Add(layer.Apply(x, layer.Weight, layer.Bias));
        });
        foreach (var y in results)
        {
            Assert.True(y.is_contiguous() || y.permute(0, 2, 3, 1).is_contiguous(), "a dense output, NCHW or channels-last");
            AssertClose(reference, y);
        }
    }

    /// <summary>
    /// A pass with gradients while oneDNN is on (as under <c>RISTRETTO_MKLDNN=1</c>) pads the output channels too, so the
    /// backward pass matches ATen's: input, weight and bias gradients of a convolution and a transposed convolution, with
    /// junk-filled buffers.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Should_Match_Atens_Gradients_With_OneDnn_On_And_Junk_Filled_Buffers(bool transposed)
    {
        TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        using var generator = new Generator(9);
        using var half = 0.5f.ToScalar();
        var x = rand([4, 20, 8, 8], generator: generator);
        var w = rand(transposed ? [20, 50, 3, 3] : [50, 20, 3, 3], generator: generator).sub_(half);
        var b = rand([50], generator: generator);
        var geometry = ConvolutionLayer.Geometry.Square(3, 1, 1);
        using Layer layer = transposed
            ? new DeconvolutionLayer("d", new Parameter(w.clone()), new Parameter(b.clone()), geometry)
            : new ConvolutionLayer("c", new Parameter(w.clone()), new Parameter(b.clone()), geometry);
        var weighted = (IWeightedLayer)layer;
        var dy = rand(weighted.Apply(x, w, b).shape, generator: generator).sub_(half);
        Tensor[] Pass()
        {
            var xi = x.detach().clone().requires_grad_(true);
            var wi = w.detach().clone().requires_grad_(true);
            var bi = b.detach().clone().requires_grad_(true);
            var y = weighted.Apply(xi, wi, bi);
            y.backward([dy]);
            return [y.detach().clone(), xi.grad!.clone(), wi.grad!.clone(), bi.grad!.clone()];
        }
        var reference = Pass(); // ATen
        Tensor[] onednn = [];
        WithJunkFill(() =>
        {
            using var evaluation = OneDnn.Evaluation(); // holding "on" (RISTRETTO_MKLDNN=1 behaves the same everywhere)
            bool was = LibTorchContext.Mkldnn == true;
            Assert.True(LibTorchContext.TrySetMkldnn(true));
            try
            {
                onednn = Pass();
            }
            finally
            {
                LibTorchContext.TrySetMkldnn(was);
            }
        });
        for (int i = 0; i < reference.Length; i++)
            AssertClose(reference[i], onednn[i]);
    }

    /// <summary>
    /// The scopes own libtorch's global switch safely: nested scopes, a scope left by an exception, scopes on several
    /// threads at once, and training sections beside them (a section never sees oneDNN on, a scope never sees it off),
    /// and a section inside a scope or a scope inside a section does not deadlock. Under the default policy only.
    /// </summary>
    [Fact]
    public void Should_Keep_The_Switch_Consistent_Across_Nesting_Exceptions_And_Threads()
    {
        TorchRuntime.Initialize();
        if (OneDnn.Use != OneDnnUse.Evaluation)
            return; // RISTRETTO_MKLDNN set: the switch is fixed
        Assert.False(OneDnn.Active);
        using (OneDnn.Evaluation())
        {
            Assert.True(OneDnn.Active);
            var inner = OneDnn.Evaluation();
            inner.Dispose();
            inner.Dispose(); // twice: harmless
            Assert.True(OneDnn.Active);
            using (OneDnn.Gradients())
                Assert.True(OneDnn.Active); // nested in "on": keeps it
        }
        Assert.False(OneDnn.Active);
        Assert.Throws<InvalidOperationException>((Action)(() =>
        {
            using var evaluation = OneDnn.Evaluation();
            throw new InvalidOperationException("left by an exception");
        }));
        Assert.False(OneDnn.Active);
        using (OneDnn.Gradients())
        using (OneDnn.Evaluation())
            Assert.False(OneDnn.Active); // nested in "off": keeps it

        int wrong = 0;
        var threads = Enumerable.Range(0, 4).Select(k => new Thread(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                using var hold = k % 2 == 0 ? OneDnn.Evaluation() : OneDnn.Gradients();
                if (OneDnn.Active != (k % 2 == 0))
                    Interlocked.Increment(ref wrong);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(0, wrong);
        Assert.False(OneDnn.Active);
    }

    private static void WithJunkFill(Action action)
    {
        bool zeroWas = LibTorchContext.AllocatorZeroFill == true;
        try
        {
            Assert.True(LibTorchContext.TrySetAllocatorJunkFill(true), "libc10 exports its junk-fill flag");
            action();
        }
        finally
        {
            LibTorchContext.TrySetAllocatorJunkFill(false);
            LibTorchContext.TrySetAllocatorZeroFill(zeroWas);
        }
    }

    /// <summary>
    /// A single-channel input (LeNet's conv1) runs declared channels-last in an evaluation: the output keeps
    /// channels-last strides and equals ATen's, also for a slice of a batch that starts inside its storage
    /// (the declared strides must keep the slice's offset), with junk-filled buffers.
    /// </summary>
    [Fact]
    public void Should_Convolve_A_Single_Channel_Slice_Channels_Last_With_Atens_Values()
    {
        TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        using var generator = new Generator(9);
        using var half = 0.5f.ToScalar();
        var batch = rand([10, 1, 28, 28], generator: generator);
        using var layer = new ConvolutionLayer("c", new Parameter(rand([20, 1, 5, 5], generator: generator).sub_(half)),
            new Parameter(rand([20], generator: generator)), ConvolutionLayer.Geometry.Square(5, 1, 0));
        var slice = batch.narrow(0, 6, 4);
        Tensor reference;
        using (no_grad())
            reference = layer.Apply(slice, layer.Weight, layer.Bias);
        Tensor? y = null;
        WithJunkFill(() =>
        {
            using var mode = inference_mode();
            using var evaluation = OneDnn.Evaluation();
            y = layer.Apply(slice, layer.Weight, layer.Bias);
        });
        if (OneDnn.Use != OneDnnUse.Off)
            Assert.True(y!.permute(0, 2, 3, 1).is_contiguous() && !y.is_contiguous(), "oneDNN wrote the output channels-last");
        AssertClose(reference, y!);
    }

    /// <summary>
    /// A channels-last output (a 3×3 convolution of 20 channels) fed to a 1×1 convolution to 100 channels, which
    /// oneDNN's channels-last 1×1 kernel gets wrong, and to a grouped one: both get NCHW and ATen's values, with
    /// junk-filled buffers.
    /// </summary>
    [Fact]
    public void Should_Hand_A_One_By_One_Or_Grouped_Convolution_Nchw_After_A_Channels_Last_One()
    {
        TorchRuntime.Initialize();
        using var scope = NewDisposeScope();
        using var generator = new Generator(21);
        using var half = 0.5f.ToScalar();
        Parameter Weights(params long[] shape) => new(rand(shape, generator: generator).sub_(half));
        var x = rand([3, 20, 10, 10], generator: generator);
        using var first = new ConvolutionLayer("a", Weights(24, 20, 3, 3), Weights(24), ConvolutionLayer.Geometry.Square(3, 1, 1));
        using var pointwise = new ConvolutionLayer("b", Weights(100, 24, 1, 1), Weights(100), ConvolutionLayer.Geometry.Square(1, 1, 0));
        using var grouped = new ConvolutionLayer("c", Weights(40, 12, 3, 3), Weights(40), ConvolutionLayer.Geometry.Square(3, 1, 1) with { Groups = 2 });
        Tensor a, b, c;
        using (no_grad())
        {
            a = first.Apply(x, first.Weight, first.Bias);
            b = pointwise.Apply(a, pointwise.Weight, pointwise.Bias);
            c = grouped.Apply(a, grouped.Weight, grouped.Bias);
        }
        Tensor? a1 = null, b1 = null, c1 = null;
        WithJunkFill(() =>
        {
            using var mode = inference_mode();
            using var evaluation = OneDnn.Evaluation();
            a1 = first.Apply(x, first.Weight, first.Bias);
            b1 = pointwise.Apply(a1, pointwise.Weight, pointwise.Bias);
            c1 = grouped.Apply(a1, grouped.Weight, grouped.Bias);
        });
        AssertClose(a, a1!);
        AssertClose(b, b1!);
        AssertClose(c, c1!);
    }

    private static void AssertClose(Tensor reference, Tensor value)
    {
        Assert.True(value.isfinite().all().item<bool>(), "non-finite values: an unwritten partial block was read");
        double scale = Math.Max(1e-12, reference.abs().max().item<float>());
        double error = value.sub(reference).abs().max().item<float>() / scale;
        Assert.True(error <= 1e-5, $"off from ATen by {error:G3} of its largest magnitude");
    }

    /// <summary>LeNet's conv2 shape: 20 → 50 channels, 12×12, 5×5, batch 8, fixed data, libtorch's conv2d directly.</summary>
    private static float[] Conv2()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        using var half = 0.5f.ToScalar();
        using var mode = inference_mode();
        var x = rand([8, 20, 12, 12], generator: generator);
        var w = rand([50, 20, 5, 5], generator: generator).sub_(half);
        return nn.functional.conv2d(x, w).contiguous().data<float>().ToArray();
    }
}

[CollectionDefinition("cpu-allocator", DisableParallelization = true)]
public sealed class CpuAllocatorCollection;
