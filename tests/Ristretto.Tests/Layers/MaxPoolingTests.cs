using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Tests.Layers;

/// <summary>Max pooling without gradients runs as maxima of strided views; it must give libtorch's kernel's values.</summary>
public class MaxPoolingTests
{
    [Theory]
    [InlineData(2, 2, 0, 1, true)]    // LeNet
    [InlineData(3, 2, 0, 1, true)]    // Caffe's AlexNet / SqueezeNet, ceil mode
    [InlineData(3, 2, 1, 1, false)]   // ResNet-18's stem
    [InlineData(3, 2, 1, 1, true)]
    [InlineData(2, 1, 1, 1, true)]
    [InlineData(3, 3, 1, 1, true)]    // a last window that would start in the padding
    [InlineData(2, 3, 0, 1, false)]   // windows that skip pixels
    [InlineData(3, 2, 0, 2, true)]    // dilated (ONNX)
    [InlineData(1, 2, 0, 1, true)]    // a 1×1 window keeps the kernel
    public void Should_Give_The_Values_Of_Libtorchs_Kernel(long kernel, long stride, long pad, long dilation, bool ceil)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(9);
        foreach (var (h, w) in new (long, long)[] { (13, 13), (12, 9), (8, 8), (7, 10) })
        {
            var x = randn([2, 3, h, w], generator: g);
            x[0, 0, 1, 1] = tensor(float.NaN);
            x[1, 2, 2, 3] = tensor(float.NegativeInfinity);
            x[1, 1] = tensor(float.NegativeInfinity);   // a whole plane of −∞
            using var pool = new PoolingLayer("p", PoolingLayer.Method.Max, (kernel, kernel), (stride, stride), (pad, pad), ceil, dilation: (dilation, dilation));
            var expected = nn.functional.max_pool2d(x, [kernel, kernel], [stride, stride], [pad, pad], [dilation, dilation], ceil_mode: ceil);
            using var noGrad = no_grad();
            var actual = pool.forward([x])[0];
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(actual.is_contiguous());
            Assert.False(expected.isnan().ne(actual.isnan()).any().item<bool>(), $"NaN positions differ at {h}×{w}");
            Assert.False(expected.nan_to_num(0).ne(actual.nan_to_num(0)).any().item<bool>(), $"values differ at {h}×{w}");
        }
    }

    [Fact]
    public void Should_Keep_The_Kernel_When_Recording_Gradients_So_That_A_Tie_Sends_The_Gradient_To_Its_First_Maximum()
    {
        using var scope = NewDisposeScope();
        using var pool = new PoolingLayer("p", PoolingLayer.Method.Max, (2, 2), (2, 2), (0, 0));
        var x = ones([1, 1, 2, 2]).requires_grad_();
        pool.forward([x])[0].sum().backward();
        Assert.Equal(new[] { 1f, 0f, 0f, 0f }, x.grad!.flatten().data<float>().ToArray());
    }
}
