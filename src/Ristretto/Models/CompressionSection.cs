using System.Text.Json;
using Ristretto.Transforms;

namespace Ristretto.Models;

/// <summary>
/// The compression a model went through, stored in a model file (version 3, metadata key <see cref="Key"/>): the
/// structure edits to replay on the zoo architecture before loading the weights (filters removed, layers factorised),
/// each pruned layer's mask (a bitmap, 1 = kept) and each shared layer's codebook (the centroid values; a weight's
/// index is the entry equal to it), the recipe that made it and how many of its phases were applied (for resuming).
/// </summary>
public sealed record CompressionSection
{
    /// <summary>The metadata key.</summary>
    public const string Key = "compression";

    /// <summary>The version of this section's layout.</summary>
    public int Version { get; init; } = 1;

    /// <summary>Structure edits in the order applied.</summary>
    public List<StructureEdit> Structure { get; init; } = [];

    /// <summary>Masks and codebooks by layer name.</summary>
    public Dictionary<string, LayerCompression> Layers { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The recipe (the compress settings) as JSON, for resuming.</summary>
    public JsonElement? Recipe { get; init; }

    /// <summary>Phases of the schedule applied so far.</summary>
    public int Phases { get; init; }

    /// <summary>The section as metadata text.</summary>
    public string Serialize() => JsonSerializer.Serialize(this, ModelFile.Json);

    /// <summary>The section <paramref name="metadata"/> carries, or null; malformed text is one error naming <paramref name="path"/>.</summary>
    public static CompressionSection? Read(IReadOnlyDictionary<string, string> metadata, string path)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(Key, out var text))
            return null;
        CompressionSection? section;
        try
        {
            section = JsonSerializer.Deserialize<CompressionSection>(text, ModelFile.Json);
        }
        catch (JsonException e)
        {
            throw new RistrettoException($"{path}: malformed compression section: {e.Message.Split('\n')[0]}", e);
        }
        if (section is null)
            throw new RistrettoException($"{path}: empty compression section");
        if (section.Version != 1)
            throw new RistrettoException($"{path}: compression section version {section.Version}; this build reads version 1");
        foreach (var (name, layer) in section.Layers)
            layer.Check(name, path);
        return section;
    }
}

/// <summary>One layer's mask and codebook.</summary>
/// <param name="Count">Weights in the layer.</param>
/// <param name="Mask">The kept weights as a base64 bitmap (bit i of byte i/8, LSB first), or null when nothing is pruned.</param>
/// <param name="Codebook">The shared values (at most 2^<see cref="Bits"/>), or null when not shared.</param>
/// <param name="Bits">Index bits of the shared weights.</param>
public sealed record LayerCompression(long Count, string? Mask = null, float[]? Codebook = null, int? Bits = null)
{
    /// <summary>The mask as booleans (all true when there is none).</summary>
    public bool[] MaskBits()
    {
        var kept = new bool[Count];
        if (Mask is null)
        {
            Array.Fill(kept, true);
            return kept;
        }
        var bytes = Convert.FromBase64String(Mask);
        for (long i = 0; i < Count; i++)
            kept[i] = (bytes[i >> 3] >> (int)(i & 7) & 1) != 0;
        return kept;
    }

    /// <summary>The base64 bitmap of <paramref name="kept"/>.</summary>
    public static string Pack(bool[] kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        var bytes = new byte[(kept.Length + 7) / 8];
        for (int i = 0; i < kept.Length; i++)
            if (kept[i])
                bytes[i >> 3] |= (byte)(1 << (i & 7));
        return Convert.ToBase64String(bytes);
    }

    internal void Check(string name, string path)
    {
        if (Count < 1)
            throw new RistrettoException($"{path}: compression of layer '{name}' has {Count} weights");
        if (Mask is not null)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(Mask);
            }
            catch (FormatException e)
            {
                throw new RistrettoException($"{path}: the mask of layer '{name}' is not base64", e);
            }
            if (bytes.Length != (Count + 7) / 8)
                throw new RistrettoException($"{path}: the mask of layer '{name}' has {bytes.Length} bytes for {Count} weights");
        }
        if (Codebook is { } book && (Bits is not (>= 1 and <= 16) || book.Length > 1 << Bits.Value || book.Length == 0 || book.Any(v => !float.IsFinite(v))))
            throw new RistrettoException($"{path}: the codebook of layer '{name}' does not fit {Bits} index bits or holds non-finite values");
    }
}
