using Microsoft.Win32.SafeHandles;
using Ristretto.Data.Images;

namespace Ristretto.Data.Sources;

/// <summary>Which CIFAR-100 label a record gives.</summary>
public enum CifarLabel
{
    /// <summary>The 100 fine classes.</summary>
    Fine,

    /// <summary>The 20 superclasses.</summary>
    Coarse,
}

/// <summary>
/// One split of the CIFAR-10 or CIFAR-100 <em>binary version</em>: fixed-size records of label byte(s) and a
/// 3×32×32 image in planar RGB, read straight from the files (positional reads, so several threads may read at once).
/// CIFAR-10: <c>data_batch_1..5.bin</c> (train) and <c>test_batch.bin</c>, records of 1 + 3072 bytes. CIFAR-100:
/// <c>train.bin</c> and <c>test.bin</c>, records of 2 + 3072 bytes (coarse label, then fine).
/// </summary>
public sealed class CifarSource : IImageSource
{
    /// <summary>Bytes of one image.</summary>
    public const int ImageBytes = 3 * 32 * 32;

    private readonly (SafeFileHandle Handle, string Path, int Records)[] _files;
    private readonly int _recordBytes, _labelOffset;
    private readonly int[] _labels;

    private CifarSource(string name, string kind, string[] paths, int labelBytes, int labelOffset, IReadOnlyList<string> classNames)
    {
        Name = name;
        Kind = kind;
        _recordBytes = labelBytes + ImageBytes;
        _labelOffset = labelOffset;
        var files = new List<(SafeFileHandle, string, int)>();
        var labels = new List<int>();
        try
        {
            foreach (string path in paths)
            {
                long length = new FileInfo(path).Length;
                if (length == 0 || length % _recordBytes != 0)
                    throw new RistrettoException($"{path}: {length:N0} bytes is not a whole number of {kind} records of {_recordBytes:N0} bytes");
                var handle = File.OpenHandle(path);
                files.Add((handle, path, (int)(length / _recordBytes)));
                var record = new byte[_recordBytes];
                for (long r = 0; r < length / _recordBytes; r++)
                {
                    RandomAccess.Read(handle, record.AsSpan(0, labelBytes), r * _recordBytes);
                    labels.Add(record[labelOffset]);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var f in files)
                f.Item1.Dispose();
            throw new RistrettoException($"cannot read {name}: {e.Message}", e);
        }
        _files = [.. files];
        _labels = [.. labels];
        Classes = _labels.Length == 0 ? 0 : _labels.Max() + 1;
        ClassNames = classNames.Count >= Classes ? classNames : [];
    }

    /// <summary>Whether <paramref name="folder"/> holds CIFAR-10 or CIFAR-100 binary files.</summary>
    public static bool IsCifarFolder(string folder) =>
        File.Exists(Path.Combine(folder, "test_batch.bin")) || (File.Exists(Path.Combine(folder, "train.bin")) && File.Exists(Path.Combine(folder, "test.bin")));

    /// <summary>Opens the training and test splits of the CIFAR folder <paramref name="folder"/>.</summary>
    public static (CifarSource Train, CifarSource Test) Open(string folder, CifarLabel label = CifarLabel.Fine)
    {
        folder = Path.GetFullPath(folder);
        if (File.Exists(Path.Combine(folder, "test_batch.bin")))
        {
            var train = Enumerable.Range(1, 5).Select(i => Path.Combine(folder, $"data_batch_{i}.bin")).ToArray();
            var missing = train.Where(p => !File.Exists(p)).Select(Path.GetFileName).ToList();
            if (missing.Count > 0)
                throw new RistrettoException($"{folder}: a CIFAR-10 folder needs data_batch_1..5.bin and test_batch.bin; missing {string.Join(", ", missing)}");
            var names = Names(Path.Combine(folder, "batches.meta.txt"));
            return (new CifarSource($"{folder} (train)", "cifar-10", train, 1, 0, names),
                new CifarSource($"{folder} (test)", "cifar-10", [Path.Combine(folder, "test_batch.bin")], 1, 0, names));
        }
        if (File.Exists(Path.Combine(folder, "train.bin")) && File.Exists(Path.Combine(folder, "test.bin")))
        {
            int offset = label == CifarLabel.Coarse ? 0 : 1;
            var names = Names(Path.Combine(folder, label == CifarLabel.Coarse ? "coarse_label_names.txt" : "fine_label_names.txt"));
            return (new CifarSource($"{folder} (train)", "cifar-100", [Path.Combine(folder, "train.bin")], 2, offset, names),
                new CifarSource($"{folder} (test)", "cifar-100", [Path.Combine(folder, "test.bin")], 2, offset, names));
        }
        throw new RistrettoException($"{folder}: not a CIFAR binary folder (expected data_batch_1..5.bin + test_batch.bin, or train.bin + test.bin)");
    }

    private static IReadOnlyList<string> Names(string path) =>
        File.Exists(path) ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList() : [];

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Kind { get; }

    /// <inheritdoc />
    public int Count => _labels.Length;

    /// <inheritdoc />
    public bool Labelled => true;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc />
    public int Classes { get; }

    /// <inheritdoc />
    public int StoredChannels => 3;

    /// <inheritdoc />
    public int Label(int index) => _labels[index];

    /// <inheritdoc />
    public string Describe(int index)
    {
        var (_, path, record) = Locate(index);
        return $"{path} record {record}";
    }

    /// <inheritdoc />
    public DecodedImage Read(int index, int channels)
    {
        var (handle, path, record) = Locate(index);
        var bytes = new byte[ImageBytes];
        long offset = (long)record * _recordBytes + (_recordBytes - ImageBytes);
        if (RandomAccess.Read(handle, bytes, offset) != ImageBytes)
            throw new RistrettoException($"{path}: record {record} is cut short");
        return ChannelConversion.To(DecodedImage.FromPlanar(bytes, 3, 32, 32, ChannelOrder.Rgb), channels);
    }

    private (SafeFileHandle Handle, string Path, int Record) Locate(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        foreach (var (handle, path, records) in _files)
        {
            if (index < records)
                return (handle, path, index);
            index -= records;
        }
        throw new ArgumentOutOfRangeException(nameof(index));
    }

    /// <summary>Writes CIFAR-10 records (label, planar RGB 3×32×32) to <paramref name="path"/>; for tests and users converting data.</summary>
    public static void WriteCifar10(string path, IReadOnlyList<(byte Label, byte[] PlanarRgb)> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        IO.AtomicFile.Write(path, stream =>
        {
            foreach (var (label, image) in records)
            {
                if (image.Length != ImageBytes)
                    throw new ArgumentException($"a CIFAR image has {ImageBytes} bytes, got {image.Length}");
                stream.WriteByte(label);
                stream.Write(image);
            }
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var f in _files)
            f.Handle.Dispose();
    }
}
