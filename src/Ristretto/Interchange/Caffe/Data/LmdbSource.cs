using System.Reflection;
using System.Runtime.InteropServices;
using Google.Protobuf;
using LightningDB;
using Ristretto.Data.Images;
using Ristretto.Data.Sources;
using Ristretto.Interchange.Caffe.Proto;

namespace Ristretto.Interchange.Caffe.Data;

/// <summary>
/// A Caffe LMDB of <c>Datum</c> records (what <c>convert_imageset</c> and <c>convert_mnist_data</c> wrote and Caffe's
/// <c>Data</c> layer read): raw pixels, planar as stored (BGR for colour images written through OpenCV), or an encoded
/// image file. Records are visited in key order, as Caffe's cursor did. Keys and labels are read once when opened; the
/// images when asked for.
/// </summary>
public sealed class LmdbSource : IImageSource
{
    private static int _resolverSet;
    private readonly LightningEnvironment _environment;
    private readonly LightningDatabase _database;
    private readonly byte[][] _keys;
    private readonly int[] _labels;

    private LmdbSource(string folder, LightningEnvironment environment, LightningDatabase database, byte[][] keys, int[] labels, int storedChannels)
    {
        Name = folder;
        _environment = environment;
        _database = database;
        _keys = keys;
        _labels = labels;
        StoredChannels = storedChannels;
        Classes = labels.Max() + 1;
    }

    /// <summary>Whether <paramref name="folder"/> is an LMDB environment (holds <c>data.mdb</c>).</summary>
    public static bool IsLmdb(string folder) => File.Exists(Path.Combine(folder, "data.mdb"));

    /// <summary>Opens the LMDB at <paramref name="folder"/> read-only and checks that its records are Caffe Datums.</summary>
    public static LmdbSource Open(string folder)
    {
        UseSystemLmdb();
        folder = Path.GetFullPath(folder);
        if (!IsLmdb(folder))
            throw new RistrettoException($"{folder}: not an LMDB (no data.mdb)");
        var environment = new LightningEnvironment(folder);
        LightningDatabase? database = null;
        try
        {
            environment.MaxReaders = 512;
            environment.Open(EnvironmentOpenFlags.ReadOnly | EnvironmentOpenFlags.NoLock);
            var keys = new List<byte[]>();
            var labels = new List<int>();
            int channels = -1;
            using (var txn = environment.BeginTransaction(TransactionBeginFlags.ReadOnly))
            {
                database = txn.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.None });
                using var cursor = txn.CreateCursor(database);
                for (var (code, key, value) = cursor.First(); code == MDBResultCode.Success; (code, key, value) = cursor.Next())
                {
                    byte[] keyBytes = key.CopyToNewArray();
                    var (label, c, encoded) = Scan(value.AsSpan(), folder, keyBytes);
                    channels = encoded ? 0 : channels == -1 || channels == c ? c : 0;
                    keys.Add(keyBytes);
                    labels.Add(label);
                }
            }
            if (keys.Count == 0)
                throw new RistrettoException($"{folder}: the LMDB is empty");
            return new LmdbSource(folder, environment, database, [.. keys], [.. labels], Math.Max(channels, 0));
        }
        catch (LightningException e)
        {
            database?.Dispose();
            environment.Dispose();
            throw new RistrettoException($"{folder}: cannot open the LMDB: {e.Message}", e);
        }
        catch
        {
            database?.Dispose();
            environment.Dispose();
            throw;
        }
    }

    /// <summary>
    /// LightningDB's bundled linux-x64 liblmdb needs a newer glibc than Debian 12 has; Debian's <c>liblmdb0</c>
    /// (installed by build/install.sh) serves the same C API, so the library name "lmdb" is resolved to it first.
    /// </summary>
    internal static void UseSystemLmdb()
    {
        if (Interlocked.Exchange(ref _resolverSet, 1) == 1)
            return;
        NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly, (name, assembly, path) =>
        {
            if (name != "lmdb")
                return IntPtr.Zero;
            foreach (var candidate in new[] { "liblmdb.so.0", "liblmdb.so" })
                if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle))
                    return handle;
            return IntPtr.Zero;
        });
    }

    /// <summary>
    /// Reads a Datum's label and layout without copying its pixels: a minimal walk over the protobuf fields. A record
    /// that is not a Datum is an error naming the database and key.
    /// </summary>
    internal static (int Label, int Channels, bool Encoded) Scan(ReadOnlySpan<byte> record, string folder, byte[] key)
    {
        int label = 0, channels = 0, height = 0, width = 0;
        bool encoded = false, data = false, floats = false;
        int i = 0;
        string Bad(string why) => $"{folder}: record '{KeyText(key)}' is not a Caffe Datum ({why})";
        while (i < record.Length)
        {
            ulong tag = Varint(record, ref i) ?? throw new RistrettoException(Bad("malformed field tag"));
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            switch (wire)
            {
                case 0:
                    long v = (long)(Varint(record, ref i) ?? throw new RistrettoException(Bad("malformed number")));
                    switch (field)
                    {
                        case 1: channels = (int)v; break;
                        case 2: height = (int)v; break;
                        case 3: width = (int)v; break;
                        case 5: label = (int)v; break;
                        case 7: encoded = v != 0; break;
                    }
                    break;
                case 2:
                    long length = (long)(Varint(record, ref i) ?? throw new RistrettoException(Bad("malformed length")));
                    if (length < 0 || i + length > record.Length)
                        throw new RistrettoException(Bad("a field runs past the record"));
                    data |= field == 4;
                    floats |= field == 6;
                    i += (int)length;
                    break;
                case 5:
                    i += 4;
                    floats |= field == 6;
                    break;
                case 1:
                    i += 8;
                    break;
                default:
                    throw new RistrettoException(Bad($"wire type {wire}"));
            }
        }
        if (i != record.Length)
            throw new RistrettoException(Bad("a field runs past the record"));
        if (floats && !data)
            throw new RistrettoException($"{folder}: record '{KeyText(key)}' holds float_data; only 8-bit Datums (raw or encoded) are read");
        if (!data || (!encoded && (channels is not (1 or 3) || height <= 0 || width <= 0)))
            throw new RistrettoException(Bad(encoded ? "no image data" : $"{channels}×{height}×{width} pixels"));
        if (label < 0)
            throw new RistrettoException($"{folder}: record '{KeyText(key)}' has label {label}");
        return (label, channels, encoded);
    }

    private static ulong? Varint(ReadOnlySpan<byte> s, ref int i)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64 && i < s.Length; shift += 7)
        {
            byte b = s[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        return null;
    }

    private static string KeyText(ReadOnlySpan<byte> key) =>
        key.ToArray().All(b => b is >= 0x20 and < 0x7F) ? System.Text.Encoding.ASCII.GetString(key) : Convert.ToHexString(key);

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Kind => "lmdb";

    /// <inheritdoc />
    public int Count => _keys.Length;

    /// <inheritdoc />
    public bool Labelled => true;

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => [];

    /// <inheritdoc />
    public int Classes { get; }

    /// <inheritdoc />
    public int StoredChannels { get; }

    /// <inheritdoc />
    public int Label(int index) => _labels[index];

    /// <inheritdoc />
    public string Describe(int index) => $"{Name} record '{KeyText(_keys[index])}'";

    /// <inheritdoc />
    public DecodedImage Read(int index, int channels)
    {
        Datum datum;
        using (var txn = _environment.BeginTransaction(TransactionBeginFlags.ReadOnly))
        {
            var (code, _, value) = txn.Get(_database, _keys[index]);
            if (code != MDBResultCode.Success)
                throw new RistrettoException($"{Describe(index)}: cannot be read ({code})");
            datum = ParseDatum(value.AsSpan(), Describe(index));
        }
        return Decode(datum, channels, Describe(index));
    }

    /// <summary>Parses one record's bytes as a <c>Datum</c>; <paramref name="name"/> names the record in errors.</summary>
    internal static Datum ParseDatum(ReadOnlySpan<byte> record, string name)
    {
        try
        {
            return Datum.Parser.ParseFrom(record);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RistrettoException($"{name}: not a Caffe Datum ({e.Message})", e);
        }
    }

    /// <summary>The image of a Datum: an encoded file decoded, or raw planar pixels checked against their shape.</summary>
    internal static DecodedImage Decode(Datum datum, int channels, string name)
    {
        if (datum.Encoded)
            return ImageCodec.Decode(datum.Data.ToByteArray(), channels, name);
        int c = datum.Channels, h = datum.Height, w = datum.Width;
        if ((long)c * h * w != datum.Data.Length)
            throw new RistrettoException($"{name}: {datum.Data.Length} bytes for {c}×{h}×{w} pixels");
        return ChannelConversion.To(DecodedImage.FromPlanar(datum.Data.Span, c, h, w, ChannelOrder.Bgr), channels);
    }

    /// <summary>
    /// Writes <paramref name="records"/> as a Caffe LMDB of Datums at <paramref name="folder"/> (keys "%08d_name" as
    /// convert_imageset wrote them); for tests and users converting data.
    /// </summary>
    public static void Write(string folder, IEnumerable<(string Key, byte[] Datum)> records, long mapSize = 1L << 32)
    {
        UseSystemLmdb();
        Directory.CreateDirectory(folder);
        using var environment = new LightningEnvironment(folder, new EnvironmentConfiguration { MapSize = mapSize });
        environment.Open();
        using var txn = environment.BeginTransaction();
        using var db = txn.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create });
        foreach (var (key, datum) in records)
        {
            var code = txn.Put(db, System.Text.Encoding.ASCII.GetBytes(key), datum, PutOptions.None);
            if (code != MDBResultCode.Success)
                throw new RistrettoException($"{folder}: cannot write record '{key}' ({code})");
        }
        var commit = txn.Commit();
        if (commit != MDBResultCode.Success)
            throw new RistrettoException($"{folder}: cannot commit ({commit})");
    }

    /// <summary>A raw Datum (planar pixels as given) or an encoded one (an image file's bytes), serialised.</summary>
    public static byte[] EncodeDatum(int label, byte[] pixels, int channels, int height, int width, bool encoded = false)
    {
        var datum = new Datum { Label = label, Data = ByteString.CopyFrom(pixels), Encoded = encoded };
        if (!encoded)
        {
            datum.Channels = channels;
            datum.Height = height;
            datum.Width = width;
        }
        return datum.ToByteArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _database.Dispose();
        _environment.Dispose();
    }
}
