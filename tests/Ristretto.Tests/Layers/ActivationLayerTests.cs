using Ristretto.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Tests.Layers;

public class ActivationLayerTests
{
    private static float[] Run(Ristretto.Graph.Layer layer, params float[] x)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return layer.forward([tensor(x)])[0].data<float>().ToArray();
    }

    [Fact]
    public void Should_Clip_To_Relu6_And_Leave_An_Open_Bound()
    {
        using var relu6 = new ClipLayer("c", 0, 6);
        Assert.Equal(new float[] { 0, 3, 6 }, Run(relu6, -1, 3, 9));
        Assert.Equal("ReLU6", relu6.Describe());
        using var floor = new ClipLayer("f", -1, null);
        Assert.Equal(new float[] { -1, 100 }, Run(floor, -5, 100));
        Assert.Throws<RistrettoException>(() => new ClipLayer("bad", 2, 1));
    }

    [Fact]
    public void Should_Scale_Elu_By_Gamma_For_Selu()
    {
        using var selu = new EluLayer("s", alpha: 2, gamma: 3);
        var y = Run(selu, 1, -1);
        Assert.Equal(3f, y[0], 5);
        Assert.Equal(3 * 2 * (MathF.Exp(-1) - 1), y[1], 5);
        Assert.Equal("SELU", selu.Type);
    }

    [Fact]
    public void Should_Apply_A_Broadcast_Prelu_Slope()
    {
        using var scope = NewDisposeScope();
        using var prelu = new PReLULayer("p", new Parameter(tensor(new float[] { 0.5f, 2 }).reshape(2, 1)));
        using var noGrad = no_grad();
        var y = prelu.forward([tensor(new float[] { -2, 3, -2, 3 }, [1, 2, 2])])[0].flatten().data<float>().ToArray();
        Assert.Equal(new float[] { -1, 3, -4, 3 }, y);
        Assert.Throws<RistrettoException>(() => prelu.OutputShapes([[1, 3, 2]]));
    }

    [Fact]
    public void Should_Permute_Axes_And_Refuse_A_Non_Permutation()
    {
        using var transpose = new TransposeLayer("t", [2, 0, 1]);
        Assert.Equal(new long[] { 4, 2, 3 }, transpose.OutputShapes([[2, 3, 4]])[0]);
        Assert.Throws<RistrettoException>(() => new TransposeLayer("t", [0, 0]));
    }
}
