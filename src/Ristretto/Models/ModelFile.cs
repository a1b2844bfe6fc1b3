using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ristretto.Engine;
using Ristretto.IO;

namespace Ristretto.Models;

/// <summary>
/// Ristretto's own model/checkpoint file (<c>.rstm</c>): a magic line, a JSON header (architecture,
/// metadata, tensor table, optional solver state) and the float32 tensors, little-endian.
/// Written atomically; reading checks the magic, the sizes and that no weight is NaN or infinite.
/// </summary>
public static class ModelFile
{
    private static readonly byte[] Magic = "RISTRETTO-MODEL\n"u8.ToArray();
    /// <summary>
    /// Version 2 may carry the preprocessing a model was trained with (metadata key "preprocessing"); version 3 may carry
    /// a compression section (metadata key "compression": structure edits, masks, codebooks; <see cref="CompressionSection"/>).
    /// Versions 1 and 2 load as before.
    /// </summary>
    private const int FormatVersion = 3;

    private const int OldestVersion = 1;

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> through a temporary file.</summary>
    public static void Save(string path, ModelData model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var header = new Header(FormatVersion, model.Architecture, model.Classes, model.Metadata,
            model.Weights.Select(b => new Entry(b.Name, b.Shape)).ToList(),
            model.Solver?.State, model.Solver?.Tensors.Select(b => new Entry(b.Name, b.Shape)).ToList());
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(Magic);
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, json.Length);
            stream.Write(length);
            stream.Write(json);
            foreach (var blob in model.Weights.Concat(model.Solver?.Tensors ?? []))
                WriteFloats(stream, blob.Data);
        });
    }

    /// <summary>Reads a model file; every problem is a <see cref="RistrettoException"/> naming the file.</summary>
    public static ModelData Load(string path)
    {
        return Parse(InputFile.ReadAllBytes(path, "model file"), path);
    }

    /// <summary>Parses model-file bytes; <paramref name="path"/> names them in errors.</summary>
    internal static ModelData Parse(byte[] bytes, string path)
    {
        if (bytes.Length < Magic.Length + 4 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new RistrettoException($"{path} is not a Ristretto model file (.rstm); it does not start with the model magic");
        int jsonLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(Magic.Length));
        int offset = Magic.Length + 4;
        if (jsonLength <= 0 || jsonLength > bytes.Length - offset)
            throw new RistrettoException($"model file {path} is truncated (header of {jsonLength} bytes)");
        Header header;
        try
        {
            header = JsonSerializer.Deserialize<Header>(bytes.AsSpan(offset, jsonLength), Json)
                ?? throw new JsonException("empty header");
        }
        catch (JsonException e)
        {
            throw new RistrettoException($"model file {path} has a malformed header: {e.Message.Split('\n')[0]}", e);
        }
        if (header.Version is < OldestVersion or > FormatVersion)
            throw new RistrettoException($"model file {path} has format version {header.Version}; this build reads versions {OldestVersion} to {FormatVersion}");
        offset += jsonLength;
        var weights = ReadBlobs(bytes, ref offset, header.Tensors ?? [], path, checkFinite: true);
        SolverState? solver = null;
        if (header.Solver != null)
            solver = new SolverState(header.Solver.Value, ReadBlobs(bytes, ref offset, header.SolverTensors ?? [], path, checkFinite: false));
        if (offset != bytes.Length)
            throw new RistrettoException($"model file {path} has {bytes.Length - offset} trailing bytes; it may be corrupted");
        return new ModelData(header.Architecture ?? "", header.Classes, weights, header.Metadata ?? [], solver);
    }

    private static List<TensorBlob> ReadBlobs(byte[] bytes, ref int offset, List<Entry> entries, string path, bool checkFinite)
    {
        var blobs = new List<TensorBlob>(entries.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e?.Name is null || e.Shape is null)
                throw new RistrettoException($"model file {path} has a tensor entry without a name or a shape; it may be corrupted");
            if (!names.Add(e.Name))
                throw new RistrettoException($"model file {path} holds tensor {e.Name} twice; it may be corrupted");
            // In doubles, so that dimensions whose product overflows a long cannot wrap round to a size that fits.
            double count = e.Shape.Aggregate(1.0, (a, d) => d < 0 ? double.NaN : a * d);
            if (!(count * 4 <= bytes.Length - offset))
                throw new RistrettoException($"model file {path} is truncated in tensor {e.Name} (shape [{string.Join(",", e.Shape)}])");
            var data = new float[(int)count];
            Buffer.BlockCopy(bytes, offset, data, 0, (int)count * 4);
            if (!BitConverter.IsLittleEndian)
                throw new PlatformNotSupportedException("big-endian hosts are not supported");
            offset += (int)count * 4;
            if (checkFinite)
            {
                int bad = Array.FindIndex(data, v => !float.IsFinite(v));
                if (bad >= 0)
                    throw new RistrettoException($"model file {path}: tensor {e.Name} holds {data[bad]} at element {bad}; weights must be finite");
            }
            blobs.Add(new TensorBlob(e.Name, e.Shape, data));
        }
        return blobs;
    }

    private static void WriteFloats(Stream stream, float[] data)
    {
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        stream.Write(bytes);
    }

    private sealed record Entry(string Name, long[] Shape);

    private sealed record Header(
        int Version, string? Architecture, int Classes, Dictionary<string, string>? Metadata,
        List<Entry>? Tensors, JsonElement? Solver, List<Entry>? SolverTensors);
}

/// <summary>A model as stored: architecture name, class count, weights, metadata, optional solver state.</summary>
public sealed record ModelData(
    string Architecture, int Classes, IReadOnlyList<TensorBlob> Weights,
    Dictionary<string, string> Metadata, SolverState? Solver = null);

/// <summary>Solver state for resuming: a JSON description and its tensors (e.g. momentum buffers).</summary>
public sealed record SolverState(JsonElement State, IReadOnlyList<TensorBlob> Tensors);
