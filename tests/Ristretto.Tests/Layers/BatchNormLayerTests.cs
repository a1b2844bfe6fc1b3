using Ristretto.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Tests.Layers;

public class BatchNormLayerTests
{
    [Fact]
    public void Should_Scale_And_Shift_Each_Channel_With_Frozen_Statistics()
    {
        using var scope = NewDisposeScope();
        using var bn = new BatchNormLayer("bn", tensor(new float[] { 1, -2 }), tensor(new float[] { 4, 0.25f }),
            new Parameter(tensor(new float[] { 2, 3 })), new Parameter(tensor(new float[] { 0.5f, -1 })), epsilon: 0);
        using var noGrad = no_grad();
        var y = bn.forward([tensor(new float[] { 3, 0 }, [1, 2, 1, 1])])[0].flatten().data<float>().ToArray();
        Assert.Equal(new[] { (3 - 1) / 2f * 2 + 0.5f, (0 + 2) / 0.5f * 3 - 1 }, y);
        Assert.Equal("BatchNorm", bn.Type);
    }

    [Fact]
    public void Should_Refuse_Statistics_Of_Different_Lengths()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<RistrettoException>(() => new BatchNormLayer("bn", zeros(3), ones(2), null, null));
        Assert.Equal("layer 'bn': batch-norm variance has shape [2], expected [3]", e.Message);
    }
}
