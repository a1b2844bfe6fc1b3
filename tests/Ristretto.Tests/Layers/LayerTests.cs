using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Tests.Layers;

public class LayerTests
{
    [Theory]
    [InlineData(55, 3, 2, 0, 27)]   // CaffeNet pool1
    [InlineData(112, 3, 2, 0, 56)]  // ceil: (112-3)/2 = 54.5 → 55 windows + 1
    [InlineData(13, 3, 2, 1, 7)]    // padded: a last window starting in the padding is dropped
    [InlineData(32, 3, 2, 0, 16)]   // CIFAR-10 pool1
    public void Should_Size_Pooling_Outputs_As_Caffe_Does(long size, long kernel, long stride, long pad, long expected)
    {
        using var pool = new PoolingLayer("p", PoolingLayer.Method.Max, (kernel, kernel), (stride, stride), (pad, pad));
        Assert.Equal(expected, pool.OutputShapes([[1, 1, size, size]])[0][2]);
        using var scope = NewDisposeScope();
        Assert.Equal(expected, pool.forward([rand(1, 1, size, size)])[0].shape[2]);
    }

    [Fact]
    public void Should_Average_Over_The_Window_Clipped_To_The_Padded_Input()
    {
        // 3×3 ones, kernel 2, stride 2, pad 1, ceil: windows cover 1, 2, 1 real pixels per axis (padding counted).
        using var pool = new PoolingLayer("p", PoolingLayer.Method.Average, (2, 2), (2, 2), (1, 1));
        using var scope = NewDisposeScope();
        var y = pool.forward([ones(1, 1, 3, 3)])[0];
        Assert.Equal(new long[] { 1, 1, 2, 2 }, y.shape);
        Assert.Equal(new[] { 0.25f, 0.5f, 0.5f, 1f }, y.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Should_Normalise_Across_Channels_As_Caffes_Lrn()
    {
        using var lrn = new LrnLayer("n", size: 3, alpha: 0.3, beta: 0.75, k: 2);
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3, 4 }, [1, 4, 1, 1]);
        var y = lrn.forward([x])[0].flatten().data<float>().ToArray();
        float[] v = [1, 2, 3, 4];
        for (int c = 0; c < 4; c++)
        {
            double sum = 0;
            for (int j = Math.Max(0, c - 1); j <= Math.Min(3, c + 1); j++)
                sum += v[j] * v[j];
            Assert.Equal(v[c] / Math.Pow(2 + 0.3 / 3 * sum, 0.75), y[c], 5);
        }
    }

    [Fact]
    public void Should_Sum_With_Coefficients_And_Concatenate_Channels()
    {
        using var scope = NewDisposeScope();
        using var sum = new EltwiseLayer("e", EltwiseLayer.Operation.Sum, [1, -1]);
        var a = tensor(new float[] { 5, 7 }, [1, 2]);
        var b = tensor(new float[] { 1, 2 }, [1, 2]);
        Assert.Equal(new[] { 4f, 5f }, sum.forward([a, b])[0].data<float>().ToArray());
        using var concat = new ConcatLayer("c");
        Assert.Equal(new long[] { 1, 5, 3, 3 }, concat.OutputShapes([[1, 2, 3, 3], [1, 3, 3, 3]])[0]);
        Assert.Throws<RistrettoException>(() => concat.OutputShapes([[1, 2, 3, 3], [1, 3, 4, 3]]));
    }
}
