using Ristretto.Formats;
using Ristretto.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Quantization;

/// <summary>
/// oneDNN's evaluation convolutions of a single-channel input leave their outputs channels-last (Layers/OneDnnConvolution);
/// trimming such a tensor, in place or not, gives the bits that trimming its NCHW copy gives, whatever the format:
/// one format for all elements (trimmed in memory order by the fused kernel), per channel, or stochastic (whose draws
/// follow the row-major index, so they go through an NCHW copy).
/// </summary>
public class ChannelsLastTrimTests
{
    public static TheoryData<string> Formats => ["dfp", "per-channel", "stochastic"];

    [Theory]
    [MemberData(nameof(Formats))]
    public void Should_Trim_A_Channels_Last_Tensor_As_Its_Nchw_Copy(string kind)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(17);
        NumberFormat format = kind == "per-channel"
            ? IntegerFormat.PerChannel(8, 1, [0.01f, 0.5f, 2f, 0.125f, 0.03f], signed: true)
            : new DynamicFixedPoint(6, 3);
        var rounding = kind == "stochastic" ? Rounding.Stochastic : Rounding.Nearest;
        using var four = 4f.ToScalar();
        var nchw = randn([3, 5, 7, 6], generator: generator).mul_(four);
        var channelsLast = nchw.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        Assert.False(channelsLast.is_contiguous());
        var expected = format.Trim(nchw, rounding, seed: 5);

        var copy = format.Trim(channelsLast, rounding, seed: 5);
        Assert.Equal(expected.contiguous().data<float>().ToArray(), copy.contiguous().data<float>().ToArray());

        var inPlace = channelsLast.clone(); // keeps the channels-last strides
        Assert.Same(inPlace, format.Trim_(inPlace, rounding, seed: 5));
        Assert.True(inPlace.permute(0, 2, 3, 1).is_contiguous(), "trimmed where it lies");
        Assert.Equal(expected.contiguous().data<float>().ToArray(), inPlace.contiguous().data<float>().ToArray());
    }
}
