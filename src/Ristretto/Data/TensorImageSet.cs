using Ristretto.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Data;

/// <summary>
/// An <see cref="ImageSet"/> held on a device as tensors: images as float32 [N, 1, H, W] scaled by
/// 1/256 (Caffe LeNet's <c>scale: 0.00390625</c>), labels as int64 [N]. Batches are gathered on the device.
/// </summary>
public sealed class TensorImageSet : IDisposable
{
    /// <summary>Caffe's LeNet input scale.</summary>
    public const float Scale = 0.00390625f;

    private readonly Tensor _images;
    private readonly Tensor _labels;

    /// <summary>Copies <paramref name="set"/> to <paramref name="device"/>.</summary>
    public TensorImageSet(ImageSet set, Device device)
    {
        ArgumentNullException.ThrowIfNull(set);
        Source = set;
        using var scope = NewDisposeScope();
        var bytes = tensor(set.Pixels, [set.Count, 1, set.Height, set.Width]);
        _images = bytes.to(ScalarType.Float32).TimesInPlace(Scale).to(device).DetachFromDisposeScope();
        _labels = tensor(set.Labels, [set.Count]).to(ScalarType.Int64).to(device).DetachFromDisposeScope();
        Device = device;
    }

    /// <summary>The images this set holds.</summary>
    public ImageSet Source { get; }

    /// <summary>Where the tensors live.</summary>
    public Device Device { get; }

    /// <summary>Number of images.</summary>
    public int Count => Source.Count;

    /// <summary>Gathers the given samples: images [B,1,H,W] and labels [B], in the caller's dispose scope.</summary>
    public (Tensor Images, Tensor Labels) Gather(long[] indices)
    {
        using var idx = tensor(indices, ScalarType.Int64, Device);
        return (_images.index_select(0, idx), _labels.index_select(0, idx));
    }

    /// <summary>Samples [start, start + count) in file order, in the caller's dispose scope.</summary>
    public (Tensor Images, Tensor Labels) Slice(int start, int count) =>
        (_images.narrow(0, start, count), _labels.narrow(0, start, count));

    /// <inheritdoc />
    public void Dispose()
    {
        _images.Dispose();
        _labels.Dispose();
    }
}
