using Ristretto.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Tests.Layers;

public class DeconvolutionLayerTests
{
    [Fact]
    public void Should_Size_Its_Output_As_Transposed_Convolution_Does()
    {
        using var scope = NewDisposeScope();
        var geometry = new ConvolutionLayer.Geometry((3, 3), (3, 2), (1, 1), (1, 1));
        using var deconv = new DeconvolutionLayer("d", new Parameter(randn(3, 4, 3, 3)), new Parameter(zeros(4)), geometry, (1, 1));
        var expected = deconv.OutputShapes([[1, 3, 7, 6]])[0];
        Assert.Equal(new long[] { 1, 4, 20, 12 }, expected);
        using var noGrad = no_grad();
        Assert.Equal(expected, deconv.forward([randn(1, 3, 7, 6)])[0].shape);
    }
}
