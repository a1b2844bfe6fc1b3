using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Tests.Layers;

public class PadLayerTests
{
    [Fact]
    public void Should_Pad_Begins_And_Ends_And_Crop_With_Negative_Amounts()
    {
        using var pad = new PadLayer("p", [0, 1, 0, -1], value: 9);
        Assert.Equal(new long[] { 2, 3 }, pad.OutputShapes([[2, 3]])[0]);
        using var scope = NewDisposeScope();
        var y = pad.forward([tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3])])[0];
        Assert.Equal(new float[] { 9, 1, 2, 9, 4, 5 }, y.flatten().data<float>().ToArray());
    }
}
