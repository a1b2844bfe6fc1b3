using Ristretto.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Engine;

/// <summary>
/// libtorch 2.10's oneDNN convolution copies a source whose channel count is not a multiple of its block (16 with
/// AVX-512, 8 with AVX2) into a padded blocked buffer and leaves the last, partial block unwritten. These tests switch
/// oneDNN and libc10's allocator fill for the whole process, so nothing else may run beside them.
/// </summary>
[Collection("cpu-allocator")]
public class OneDnnPaddingTests
{
    /// <summary>
    /// The guard: while libtorch's oneDNN convolution disagrees with ATen's own on LeNet's conv2 shape, oneDNN must be off
    /// by default. When a libtorch update fixes it, this passes whatever the default, and the default can be revisited.
    /// </summary>
    [Fact]
    public void Should_Keep_OneDnn_Off_While_Its_Convolution_Disagrees_With_Atens_On_20_Input_Channels()
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
        bool asked = Environment.GetEnvironmentVariable(TorchRuntime.MkldnnVariable) == "1";
        if (worst > 1e-4 && !asked)
            Assert.False(was, $"oneDNN is on by default but its convolution is off by {worst} on 20 input channels");
    }

    /// <summary>
    /// What the reproduction shows: with new buffers zero-filled the oneDNN result is finite but misses the partial block
    /// (channels 16–19); with them holding a NaN pattern (c10's junk fill) every output is NaN. Asserted only while the
    /// bug is there (the zero-filled run disagrees with ATen); either way the allocator is left as it was found.
    /// </summary>
    [Fact]
    public void Should_Show_The_Unwritten_Partial_Block_As_Nan_With_Junk_Filled_Buffers_While_The_Bug_Is_There()
    {
        TorchRuntime.Initialize();
        bool was = LibTorchContext.Mkldnn == true;
        bool zeroWas = LibTorchContext.AllocatorZeroFill == true;
        float[] reference, zeroed, junk;
        try
        {
            Assert.True(LibTorchContext.TrySetMkldnn(false));
            reference = Conv2();
            Assert.True(LibTorchContext.TrySetMkldnn(true));
            Assert.True(LibTorchContext.TrySetAllocatorZeroFill(true), "libc10 exports its zero-fill flag");
            zeroed = Conv2();
            Assert.True(LibTorchContext.TrySetAllocatorJunkFill(true), "libc10 exports its junk-fill flag");
            junk = Conv2();
        }
        finally
        {
            LibTorchContext.TrySetAllocatorJunkFill(false);
            LibTorchContext.TrySetAllocatorZeroFill(zeroWas);
            LibTorchContext.TrySetMkldnn(was);
        }
        Assert.All(zeroed, v => Assert.True(float.IsFinite(v)));
        double worst = reference.Zip(zeroed, (a, b) => Math.Abs(a - b)).Max();
        if (worst > 1e-4)
            Assert.All(junk, v => Assert.True(float.IsNaN(v)));
    }

    /// <summary>LeNet's conv2 shape: 20 → 50 channels, 12×12, 5×5, batch 8, fixed data.</summary>
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
