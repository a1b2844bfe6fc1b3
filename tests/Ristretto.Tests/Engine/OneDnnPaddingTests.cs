using Ristretto.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Engine;

/// <summary>
/// libtorch 2.10's oneDNN convolution copies a source whose channel count is not a multiple of its block (16 with
/// AVX-512, 8 with AVX2) into a padded blocked buffer and reads the padding without writing it. The runtime therefore
/// turns on libc10's zero fill with oneDNN. These tests switch the process-wide allocator fill, so nothing else may run
/// beside them.
/// </summary>
[Collection("cpu-allocator")]
public class OneDnnPaddingTests
{
    [Fact]
    public void Should_Give_Finite_Convolutions_Where_OneDnn_Pads_The_Channels_Even_When_New_Buffers_Hold_Nan()
    {
        TorchRuntime.Initialize();
        if (LibTorchContext.Mkldnn != true)
            return; // RISTRETTO_MKLDNN=0: ATen's own kernels, nothing to check
        Assert.True(LibTorchContext.TrySetAllocatorJunkFill(true), "libc10 exports its junk-fill flag");
        bool junkShowsTheBug;
        try
        {
            junkShowsTheBug = !ConvolutionIsFinite(); // new buffers hold NaN: an unwritten read shows on every call
        }
        finally
        {
            LibTorchContext.TrySetAllocatorJunkFill(false);
            Assert.True(LibTorchContext.TrySetAllocatorZeroFill(true));
        }
        Assert.True(ConvolutionIsFinite(), $"with zero-filled buffers the convolution must be finite (junk fill showed the libtorch bug: {junkShowsTheBug})");
        Assert.Equal(true, LibTorchContext.AllocatorZeroFill);
    }

    /// <summary>LeNet's conv2 shape (20 → 50 channels, 12×12, 5×5, batch 64), forward and backward.</summary>
    private static bool ConvolutionIsFinite()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        using var half = 0.5f.ToScalar();
        var x = rand([64, 20, 12, 12], generator: generator).requires_grad_(true);
        var w = rand([50, 20, 5, 5], generator: generator).sub_(half).requires_grad_(true);
        var y = nn.functional.conv2d(x, w);
        y.sum().backward();
        return y.isfinite().all().item<bool>() && x.grad!.isfinite().all().item<bool>() && w.grad!.isfinite().all().item<bool>();
    }
}

[CollectionDefinition("cpu-allocator", DisableParallelization = true)]
public sealed class CpuAllocatorCollection;
