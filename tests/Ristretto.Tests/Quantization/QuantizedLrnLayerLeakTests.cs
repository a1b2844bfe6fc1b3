using Ristretto.Formats;
using Ristretto.Layers;
using Ristretto.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Quantization;

[Collection("graph-leaks")]
public class QuantizedLrnLayerLeakTests
{
    [Theory]
    [InlineData(false, Rounding.Nearest)]
    [InlineData(true, Rounding.Stochastic)]
    public void Should_Leave_Only_Its_Output_Alive_After_A_Forward_Pass(bool withinChannel, Rounding rounding)
    {
        var m = new MiniFloat(4, 3);
        DisposeScopeManager.Statistics.Reset();
        using (var lrn = new LrnLayer("norm", 3, 0.5, 0.75, 1, withinChannel))
        using (var q = new QuantizedLrnLayer(lrn, new LayerQuantization(Input: new DynamicFixedPoint(8, 4), Output: m, Rounding: rounding)))
        using (var x = rand(2, 6, 5, 5).requires_grad_(true))
        {
            using (var y = q.forward([x])[0])
                Assert.Equal(x.shape, y.shape);
            using (no_grad())
            using (var z = q.forward([x])[0])
                Assert.Equal(x.shape, z.shape);
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
