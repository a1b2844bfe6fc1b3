using Ristretto.Data.Images;

namespace Ristretto.Data.Sources;

/// <summary>
/// A random-access collection of 8-bit images, each read and decoded only when asked for, so a data set never has
/// to fit in memory. Implementations are safe to read from several threads at once.
/// </summary>
public interface IImageSource : IDisposable
{
    /// <summary>Where the images come from, for messages (a path and the split).</summary>
    string Name { get; }

    /// <summary>The kind of source ("idx", "cifar-10", "image folder", "image list", "lmdb", ...).</summary>
    string Kind { get; }

    /// <summary>Number of images.</summary>
    int Count { get; }

    /// <summary>Whether every image has a class label.</summary>
    bool Labelled { get; }

    /// <summary>Class names by index where the source names them (folder names, CIFAR's); otherwise empty.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Largest label + 1 (0 when unlabelled).</summary>
    int Classes { get; }

    /// <summary>
    /// The channels images have as stored (1 or 3), or 0 where that is only known per image (image files).
    /// </summary>
    int StoredChannels { get; }

    /// <summary>Image <paramref name="index"/>'s class, or −1 when unlabelled.</summary>
    int Label(int index);

    /// <summary>What names image <paramref name="index"/> in messages (its file, its record).</summary>
    string Describe(int index);

    /// <summary>
    /// Reads image <paramref name="index"/> as <paramref name="channels"/> channels (1 gray, 3 colour): gray images are
    /// repeated into colour, colour ones converted to gray as OpenCV does. A bad image is a <see cref="RistrettoException"/>
    /// naming it.
    /// </summary>
    DecodedImage Read(int index, int channels);
}
