using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Tests.Layers;

public class ReshapeLayerTests
{
    [Fact]
    public void Should_Copy_Zero_Dimensions_And_Infer_Minus_One()
    {
        using var reshape = new ReshapeLayer("r", [0, -1, 2]);
        Assert.Equal(new long[] { 5, 6, 2 }, reshape.OutputShapes([[5, 3, 4]])[0]);
        using var scope = NewDisposeScope();
        Assert.Equal(new long[] { 7, 6, 2 }, reshape.forward([zeros(7, 3, 4)])[0].shape);
    }

    [Fact]
    public void Should_Refuse_A_Shape_That_Does_Not_Hold_The_Input()
    {
        using var reshape = new ReshapeLayer("r", [0, 5]);
        var e = Assert.Throws<RistrettoException>(() => reshape.OutputShapes([[2, 3, 4]]));
        Assert.Equal("input [2×3×4] cannot be reshaped to [0, 5]", e.Message);
        Assert.Throws<RistrettoException>(() => new ReshapeLayer("r", [-1, -1]));
    }
}
