using Ristretto.Data.Images;
using Ristretto.Data.Sources;

namespace Ristretto.Bench;

/// <summary>An <see cref="IImageSource"/> that counts how often each image is read (thread-safe), to check a pass read every file once.</summary>
internal sealed class ReadCountingSource(IImageSource inner) : IImageSource
{
    private readonly int[] _reads = new int[inner.Count];

    /// <summary>Whether every image has been read exactly once.</summary>
    public bool EachReadOnce => _reads.All(n => n == 1);

    /// <summary>Reads of all images together.</summary>
    public int Reads => _reads.Sum();

    public string Name => inner.Name;

    public string Kind => inner.Kind;

    public int Count => inner.Count;

    public bool Labelled => inner.Labelled;

    public IReadOnlyList<string> ClassNames => inner.ClassNames;

    public int Classes => inner.Classes;

    public int StoredChannels => inner.StoredChannels;

    public int Label(int index) => inner.Label(index);

    public string Describe(int index) => inner.Describe(index);

    public DecodedImage Read(int index, int channels)
    {
        Interlocked.Increment(ref _reads[index]);
        return inner.Read(index, channels);
    }

    public void Dispose() => inner.Dispose();
}
