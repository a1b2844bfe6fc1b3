using Ristretto.Engine;
using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Tests.Layers;

public class SliceLayerTests
{
    [Fact]
    public void Should_Crop_Each_Axis_And_Keep_Axes_Of_Length_Minus_One()
    {
        using var slice = new SliceLayer("s", [0, 1], [-1, 2]);
        Assert.Equal(new long[] { 3, 2 }, slice.OutputShapes([[3, 4]])[0]);
        using var scope = NewDisposeScope();
        var y = slice.forward([Scalars.Range(8, ScalarType.Float32).reshape(2, 4)])[0];
        Assert.Equal(new float[] { 1, 2, 5, 6 }, y.flatten().data<float>().ToArray());
        Assert.Throws<RistrettoException>(() => slice.OutputShapes([[3, 2]]));
    }
}
