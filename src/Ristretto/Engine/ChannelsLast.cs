using static TorchSharp.torch;

namespace Ristretto.Engine;

/// <summary>
/// Channels-last (NHWC-strided) 4-D tensors, which TorchSharp 0.107 cannot ask for by memory format: oneDNN's
/// channels-last evaluation convolutions make them (Layers/OneDnnConvolution), pooling keeps them, the trims take them.
/// </summary>
public static class ChannelsLast
{
    /// <summary>An NHWC-strided copy of <paramref name="x"/> (4-D), or <paramref name="x"/> itself when it already is.</summary>
    public static Tensor Of(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>
    /// The contiguous NHWC view of <paramref name="x"/> when it is a 4-D channels-last tensor (and not an NCHW one, as a
    /// single channel or a 1×1 plane can be both), null otherwise.
    /// </summary>
    public static Tensor? View(Tensor x)
    {
        if (x.dim() != 4 || x.is_contiguous())
            return null;
        var nhwc = x.permute(0, 2, 3, 1);
        if (nhwc.is_contiguous())
            return nhwc;
        nhwc.Dispose();
        return null;
    }

    /// <summary>Whether <paramref name="x"/> is a 4-D channels-last tensor (and not an NCHW one).</summary>
    public static bool Is(Tensor x)
    {
        using var view = View(x);
        return view is not null;
    }
}
