using Ristretto.Data.Sources;
using Ristretto.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Data;

/// <summary>
/// An <see cref="ImageSet"/> held on a device as tensors: images as float32 [N, 1, H, W] scaled by
/// 1/256 (Caffe LeNet's <c>scale: 0.00390625</c>), labels as int64 [N]. Batches are gathered on the device.
/// </summary>
public sealed class TensorImageSet : ImageDataset
{
    /// <summary>Caffe's LeNet input scale.</summary>
    public const float Scale = 0.00390625f;

    private readonly Tensor _images;
    private readonly Tensor _labels;
    private readonly Device _device;

    /// <summary>Copies <paramref name="set"/> to <paramref name="device"/>, pixel values times <see cref="Scale"/>.</summary>
    public TensorImageSet(ImageSet set, Device device) : this(set, device, Scale)
    {
    }

    /// <summary>Copies <paramref name="set"/> to <paramref name="device"/>, pixel values times <paramref name="scale"/> (float32, as a streamed set computes it).</summary>
    public TensorImageSet(ImageSet set, Device device, float scale)
    {
        ArgumentNullException.ThrowIfNull(set);
        Source = set;
        using var scope = NewDisposeScope();
        var bytes = tensor(set.Pixels, [set.Count, 1, set.Height, set.Width]);
        _images = bytes.to(ScalarType.Float32).TimesInPlace(scale).to(device).DetachFromDisposeScope();
        _labels = tensor(set.Labels, [set.Count]).to(ScalarType.Int64).to(device).DetachFromDisposeScope();
        _device = device;
    }

    /// <summary>The images this set holds.</summary>
    public ImageSet Source { get; }

    /// <inheritdoc />
    public override string Name => Source.Name;

    /// <inheritdoc />
    public override Device Device => _device;

    /// <inheritdoc />
    public override int Count => Source.Count;

    /// <inheritdoc />
    public override long[] SampleShape => [1, Source.Height, Source.Width];

    /// <inheritdoc />
    public override bool Labelled => true;

    /// <inheritdoc />
    public override int Classes => Source.Classes;

    /// <summary>Gathers the given samples: images [B,1,H,W] and labels [B], in the caller's dispose scope.</summary>
    public override (Tensor Images, Tensor Labels) Gather(long[] indices, long draw = -1)
    {
        using var idx = tensor(indices, ScalarType.Int64, Device);
        return (_images.index_select(0, idx), _labels.index_select(0, idx));
    }

    /// <summary>Samples [start, start + count) in file order, in the caller's dispose scope.</summary>
    public override (Tensor Images, Tensor Labels) Slice(int start, int count) =>
        (_images.narrow(0, start, count), _labels.narrow(0, start, count));

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
            return;
        _images.Dispose();
        _labels.Dispose();
    }
}
