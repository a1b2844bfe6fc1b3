using Ristretto.Data.Sources;

namespace Ristretto.Data;

/// <summary>
/// A folder holding the four IDX files named as MNIST's. <c>--data mnist</c> resolves to the cached
/// MNIST download; <c>--data DIR</c> to any such folder, so users bring their own IDX datasets.
/// </summary>
public sealed record DatasetFiles(string Directory)
{
    /// <summary>File names looked for in the folder.</summary>
    public const string TrainImages = "train-images-idx3-ubyte",
        TrainLabels = "train-labels-idx1-ubyte",
        TestImages = "t10k-images-idx3-ubyte",
        TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The four names, in the order train images, train labels, test images, test labels.</summary>
    public static readonly string[] Names = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>
    /// Resolves a <c>--data</c> value: <c>mnist</c> (fetched into the cache on first use) or a folder.
    /// </summary>
    public static DatasetFiles Resolve(string? spec, Action<string>? log = null)
    {
        string s = string.IsNullOrWhiteSpace(spec) ? "mnist" : spec.Trim();
        if (s.Equals("mnist", StringComparison.OrdinalIgnoreCase))
            return new DatasetFiles(MnistFetcher.EnsureCached(CachePaths.Root, log));
        if (!System.IO.Directory.Exists(s))
            throw new RistrettoException($"--data {s}: no such folder (use 'mnist' or a folder with {string.Join(", ", Names)})");
        var missing = Names.Where(n => !File.Exists(Path.Combine(s, n))).ToList();
        if (missing.Count > 0)
            throw new RistrettoException($"--data {s}: missing {string.Join(", ", missing)}");
        return new DatasetFiles(Path.GetFullPath(s));
    }

    /// <summary>Loads the training split.</summary>
    public ImageSet LoadTrain() =>
        ImageSet.Load(Path.Combine(Directory, TrainImages), Path.Combine(Directory, TrainLabels), "train");

    /// <summary>The training split as a source whose images are read when used.</summary>
    public IdxSource OpenTrain(string name) =>
        IdxSource.Open(Path.Combine(Directory, TrainImages), Path.Combine(Directory, TrainLabels), "train", name);

    /// <summary>The test split as a source whose images are read when used.</summary>
    public IdxSource OpenTest(string name) =>
        IdxSource.Open(Path.Combine(Directory, TestImages), Path.Combine(Directory, TestLabels), "test", name);

    /// <summary>Loads the test split.</summary>
    public ImageSet LoadTest() =>
        ImageSet.Load(Path.Combine(Directory, TestImages), Path.Combine(Directory, TestLabels), "test");
}
