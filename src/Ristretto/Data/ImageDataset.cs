using static TorchSharp.torch;

namespace Ristretto.Data;

/// <summary>
/// A data set as the network sees it: images as float32 [N, C, H, W] and labels as int64 [N] (−1 where a source has
/// none), read batch by batch on <see cref="Device"/>. <see cref="TensorImageSet"/> holds a small set (IDX) in memory;
/// <see cref="StreamingImageSet"/> decodes and transforms images on worker threads as batches are asked for, so a set
/// never has to fit in memory. Every batch belongs to the caller's dispose scope.
/// </summary>
public abstract class ImageDataset : IDisposable
{
    /// <summary>Where the set came from, for messages.</summary>
    public abstract string Name { get; }

    /// <summary>Number of images.</summary>
    public abstract int Count { get; }

    /// <summary>The shape of one image: channels, height, width.</summary>
    public abstract long[] SampleShape { get; }

    /// <summary>Where batches are put.</summary>
    public abstract Device Device { get; }

    /// <summary>Whether images carry class labels.</summary>
    public abstract bool Labelled { get; }

    /// <summary>Largest label + 1 (0 when unlabelled).</summary>
    public abstract int Classes { get; }

    /// <summary>Images [start, start + count) in order, as evaluated (no augmentation).</summary>
    public abstract (Tensor Images, Tensor Labels) Slice(int start, int count);

    /// <summary>
    /// The given images. With <paramref name="draw"/> ≥ 0 they are training samples: random crops and mirrors (where the
    /// preprocessing asks for them) are drawn from (seed, draw, position), so a resumed run sees the same batches.
    /// </summary>
    public abstract (Tensor Images, Tensor Labels) Gather(long[] indices, long draw = -1);

    /// <summary>A hint that <see cref="Gather"/> will be asked for these images next; a streaming set starts on them.</summary>
    public virtual void Prefetch(long[] indices, long draw = -1)
    {
    }

    /// <summary>Releases what the set holds.</summary>
    protected abstract void Dispose(bool disposing);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
