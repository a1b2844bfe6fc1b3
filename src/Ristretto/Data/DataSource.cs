using Ristretto.Data.Sources;
using Ristretto.Interchange.Caffe.Data;

namespace Ristretto.Data;

/// <summary>
/// What a <c>--data</c> value opened: the evaluated split and, where the source has one, the training split. IDX and
/// CIFAR folders and image folders with <c>train/</c> and <c>val/</c> have both; an ImageData list, an LMDB, a folder
/// of class folders and a flat folder of images have one (<see cref="Train"/> is null).
/// </summary>
public sealed class DataSource : IDisposable
{
    private DataSource(string spec, string kind, IImageSource eval, IImageSource? train)
    {
        Spec = spec;
        Kind = kind;
        Eval = eval;
        Train = train;
    }

    /// <summary>The value this was opened from.</summary>
    public string Spec { get; }

    /// <summary>The kind of source, for messages.</summary>
    public string Kind { get; }

    /// <summary>The evaluated split (IDX/CIFAR: the test set; an image folder: <c>val/</c>).</summary>
    public IImageSource Eval { get; }

    /// <summary>The training split, or null when the source has one split.</summary>
    public IImageSource? Train { get; }

    /// <summary>One line for logs.</summary>
    public string Describe() =>
        Train is { } t ? $"{Spec} ({Kind}: {t.Count:N0} training, {Eval.Count:N0} evaluated images)" : $"{Spec} ({Kind}: {Eval.Count:N0} images, one split)";

    /// <summary>
    /// Opens <paramref name="spec"/>: <c>mnist</c> (fetched into the cache on first use); a folder with the four MNIST-named
    /// IDX files; a CIFAR-10/100 binary folder; an LMDB folder (<c>data.mdb</c>); an image folder with <c>train/</c> and
    /// <c>val/</c> (or <c>test/</c>) of class folders; a folder of class folders; a flat folder of images; or a text file
    /// listing <c>path label</c> lines (Caffe's ImageData), relative to <see cref="DataOpenOptions.Root"/>.
    /// </summary>
    public static DataSource Open(string? spec, DataOpenOptions? options = null, Action<string>? log = null)
    {
        options ??= new DataOpenOptions();
        string s = string.IsNullOrWhiteSpace(spec) ? "mnist" : spec.Trim();
        if (s.Equals("mnist", StringComparison.OrdinalIgnoreCase))
            return Idx(s, DatasetFiles.Resolve(s, log));
        if (File.Exists(s))
        {
            if (options.Root == null && Path.GetExtension(s).Equals(".mdb", StringComparison.OrdinalIgnoreCase))
                return Open(Path.GetDirectoryName(Path.GetFullPath(s)), options, log);
            var list = ImageFileSource.FromList(s, options.Root, Classes(options.ClassesFile));
            return new DataSource(s, list.Labelled ? "ImageData list" : "image list (unlabelled)", list, null);
        }
        if (!Directory.Exists(s))
            throw new RistrettoException($"--data {s}: no such file or folder (use 'mnist', a folder of IDX or CIFAR files, an image folder, an LMDB folder, or an ImageData list file)");
        if (DatasetFiles.Names.All(n => File.Exists(Path.Combine(s, n))))
            return Idx(s, DatasetFiles.Resolve(s, log));
        if (CifarSource.IsCifarFolder(s))
        {
            var (train, test) = CifarSource.Open(s, options.CifarLabel);
            return new DataSource(s, test.Kind, test, train);
        }
        if (LmdbSource.IsLmdb(s))
            return new DataSource(s, "Caffe LMDB", LmdbSource.Open(s), null);
        var classes = Classes(options.ClassesFile);
        string trainDir = Path.Combine(s, "train");
        string? evalDir = new[] { "val", "test" }.Select(d => Path.Combine(s, d)).FirstOrDefault(Directory.Exists);
        if (Directory.Exists(trainDir) && evalDir != null)
        {
            var train = ImageFileSource.FromClassFolders(trainDir, classes, $"{s} (train)");
            var eval = ImageFileSource.FromClassFolders(evalDir, classes ?? train.ClassNames, $"{s} ({Path.GetFileName(evalDir)})");
            return new DataSource(s, "image folder", eval, train);
        }
        if (Directory.EnumerateFiles(s).Any(ImageFileSource.IsImage))
            return new DataSource(s, "image folder (unlabelled)", ImageFileSource.FromFlatFolder(s), null);
        if (Directory.EnumerateDirectories(s).Any())
            return new DataSource(s, "image folder (one split)", ImageFileSource.FromClassFolders(s, classes), null);
        throw new RistrettoException($"--data {s}: an empty folder (no IDX, CIFAR or LMDB files, no images, no class folders)");
    }

    private static DataSource Idx(string spec, DatasetFiles files) =>
        new(spec, "idx", files.OpenTest($"{spec} (test)"), files.OpenTrain($"{spec} (train)"));

    private static List<string>? Classes(string? file)
    {
        if (file == null)
            return null;
        var names = System.Text.Encoding.UTF8.GetString(IO.InputFile.ReadAllBytes(file, "classes file")).Split('\n')
            .Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (names.Count == 0)
            throw new RistrettoException($"classes file {file} is empty");
        var twice = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice != null)
            throw new RistrettoException($"classes file {file} names '{twice.Key}' twice");
        return names;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Eval.Dispose();
        Train?.Dispose();
    }
}

/// <summary>Options that change how a <c>--data</c> value is read.</summary>
public sealed record DataOpenOptions
{
    /// <summary>The folder an ImageData list's paths are relative to (default: the list's folder).</summary>
    public string? Root { get; init; }

    /// <summary>A file naming the classes in label order, one per line (default: folder names in ordinal order).</summary>
    public string? ClassesFile { get; init; }

    /// <summary>Which CIFAR-100 label to use.</summary>
    public CifarLabel CifarLabel { get; init; } = CifarLabel.Fine;
}
