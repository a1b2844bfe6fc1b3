using System.Globalization;
using Ristretto.Data.Images;

namespace Ristretto.Data.Sources;

/// <summary>
/// Image files, each with a label or none: a torchvision ImageFolder split (<c>DIR/&lt;class&gt;/*</c>), a flat folder
/// of unlabelled images, or a Caffe <c>ImageData</c> list (<c>path label</c> per line, as ILSVRC2012's <c>val.txt</c>).
/// Files are read and decoded (OpenCV) only when asked for.
/// </summary>
public sealed class ImageFileSource : IImageSource
{
    /// <summary>File extensions taken as images (case-insensitive), as torchvision's <c>IMG_EXTENSIONS</c> less the rare ones OpenCV lacks.</summary>
    public static readonly IReadOnlySet<string> Extensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        { ".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp" };

    private readonly string[] _paths;
    private readonly int[] _labels;

    /// <summary>Wraps files and their labels (−1 each when <paramref name="labelled"/> is false).</summary>
    public ImageFileSource(string name, string kind, string[] paths, int[] labels, bool labelled, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(labels);
        if (paths.Length != labels.Length)
            throw new ArgumentException("one label per file");
        if (paths.Length == 0)
            throw new RistrettoException($"{name}: no images");
        Name = name;
        Kind = kind;
        _paths = paths;
        _labels = labels;
        Labelled = labelled;
        Classes = labelled ? Math.Max(classNames.Count, labels.Max() + 1) : 0;
        ClassNames = classNames;
    }

    /// <summary>Whether <paramref name="path"/> names an image file by its extension.</summary>
    public static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path));

    /// <summary>
    /// One ImageFolder split: each sub-folder of <paramref name="folder"/> is a class, classes in ordinal order of the
    /// folder names (torchvision's rule) or in the order of <paramref name="classes"/>; images sorted by name within each.
    /// </summary>
    public static ImageFileSource FromClassFolders(string folder, IReadOnlyList<string>? classes = null, string? name = null)
    {
        var found = Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>().OrderBy(n => n, StringComparer.Ordinal).ToList();
        var names = classes ?? found;
        if (classes != null)
        {
            var unknown = found.Except(classes, StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
                throw new RistrettoException($"{folder}: class folder '{unknown[0]}' is not in the classes file");
        }
        var paths = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < names.Count; c++)
        {
            string dir = Path.Combine(folder, names[c]);
            if (!Directory.Exists(dir))
            {
                if (classes != null)
                    continue; // a class the classes file names but this split lacks
                throw new RistrettoException($"{dir}: class folder missing");
            }
            var files = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(IsImage).OrderBy(p => p, StringComparer.Ordinal).ToList();
            if (files.Count == 0)
                throw new RistrettoException($"{dir}: class folder '{names[c]}' holds no images ({string.Join(", ", Extensions.Order())})");
            paths.AddRange(files);
            labels.AddRange(Enumerable.Repeat(c, files.Count));
        }
        return new ImageFileSource(name ?? folder, "image folder", [.. paths], [.. labels], true, names.ToList());
    }

    /// <summary>A flat folder of unlabelled images (sorted by name), for calibration and label-free metrics.</summary>
    public static ImageFileSource FromFlatFolder(string folder)
    {
        var files = Directory.EnumerateFiles(folder).Where(IsImage).OrderBy(p => p, StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
            throw new RistrettoException($"{folder}: no images ({string.Join(", ", Extensions.Order())})");
        return new ImageFileSource(folder, "image folder (unlabelled)", files, new int[files.Length].Select(_ => -1).ToArray(), false, []);
    }

    /// <summary>
    /// A Caffe <c>ImageData</c> list: per line a path, then a space and an integer label (the last space splits them, as
    /// Caffe did, so paths may hold spaces); paths are relative to <paramref name="root"/> (default: the list's folder).
    /// A list whose lines all lack a label is unlabelled. A line that does not parse is an error naming line and column.
    /// </summary>
    public static ImageFileSource FromList(string listPath, string? root = null, IReadOnlyList<string>? classes = null)
    {
        var lines = System.Text.Encoding.UTF8.GetString(IO.InputFile.ReadAllBytes(listPath, "image list")).Split('\n');
        string baseDir = root ?? Path.GetDirectoryName(Path.GetFullPath(listPath))!;
        if (root != null && !Directory.Exists(root))
            throw new RistrettoException($"--root {root}: no such folder");
        var paths = new List<string>();
        var labels = new List<int>();
        bool? labelled = null;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0)
                continue;
            int space = line.TrimEnd().LastIndexOf(' ');
            string file;
            int label = -1;
            string last = space < 0 ? "" : line.TrimEnd()[(space + 1)..];
            bool hasLabel = space > 0 && last.Length > 0 && (char.IsAsciiDigit(last[0]) || last[0] == '-');
            if (hasLabel)
            {
                if (!int.TryParse(last, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out label) || label < 0)
                    throw new RistrettoException($"{listPath}:{i + 1}:{space + 2}: label '{last}' is not a non-negative integer");
                file = line[..space].Trim();
            }
            else
            {
                file = line.Trim();
            }
            if (labelled is { } l && l != hasLabel)
                throw new RistrettoException($"{listPath}:{i + 1}:{line.Length + 1}: {(l ? "no label after the path (earlier lines have one)" : "a label where earlier lines have none")}");
            labelled = hasLabel;
            if (classes != null && hasLabel && label >= classes.Count)
                throw new RistrettoException($"{listPath}:{i + 1}:{space + 2}: label {label} but the classes file names {classes.Count} classes");
            paths.Add(Path.IsPathRooted(file) ? file : Path.Combine(baseDir, file));
            labels.Add(label);
        }
        if (paths.Count == 0)
            throw new RistrettoException($"{listPath}: the image list is empty");
        var missing = paths.FirstOrDefault(p => !File.Exists(p));
        if (missing != null)
            throw new RistrettoException($"{listPath}: image {missing} does not exist{(root == null ? " (paths are relative to the list's folder; --root DIR changes that)" : "")}");
        return new ImageFileSource(listPath, "image list", [.. paths], [.. labels], labelled == true, classes ?? []);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public int Count => _paths.Length;

    /// <inheritdoc />
    public bool Labelled { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public int Classes { get; }

    /// <inheritdoc />
    public int StoredChannels => 0;

    /// <summary>The image files, in index order.</summary>
    public IReadOnlyList<string> Paths => _paths;

    /// <inheritdoc />
    public int Label(int index) => _labels[index];

    /// <inheritdoc />
    public string Describe(int index) => _paths[index];

    /// <inheritdoc />
    public DecodedImage Read(int index, int channels)
    {
        string path = _paths[index];
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RistrettoException($"{path}: cannot read: {e.Message}", e);
        }
        return ImageCodec.Decode(bytes, channels, path);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
