using System.Text.Json;
using Ristretto.Data.Images;

namespace Ristretto.Models;

/// <summary>
/// The preprocessing a model was trained with, kept in its metadata (key <see cref="Key"/>, JSON) so that later
/// commands feed it the same way. A model without it (format version 1) takes today's IDX behaviour.
/// </summary>
public static class ModelPreprocessing
{
    /// <summary>The metadata key in a .rstm file.</summary>
    public const string Key = "preprocessing";

    /// <summary>The <c>metadata_props</c> key in an exported ONNX model.</summary>
    public const string OnnxKey = "ristretto.preprocessing";

    /// <summary>The ONNX metadata that carries <paramref name="preprocessing"/> (empty when null).</summary>
    public static Dictionary<string, string> OnnxMetadata(Preprocessing? preprocessing)
    {
        var metadata = new Dictionary<string, string>();
        Write(metadata, preprocessing);
        return metadata.TryGetValue(Key, out var json) ? new Dictionary<string, string> { [OnnxKey] = json } : [];
    }

    /// <summary>The preprocessing an ONNX model's metadata carries, or null.</summary>
    public static Preprocessing? FromOnnx(IReadOnlyDictionary<string, string> metadata, string path) =>
        metadata.TryGetValue(OnnxKey, out var json) ? Read(new Dictionary<string, string> { [Key] = json }, path) : null;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Adds <paramref name="preprocessing"/> to <paramref name="metadata"/> (nothing when null).</summary>
    public static void Write(Dictionary<string, string> metadata, Preprocessing? preprocessing)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (preprocessing != null)
            metadata[Key] = JsonSerializer.Serialize(preprocessing, Json);
    }

    /// <summary>The preprocessing in <paramref name="metadata"/>, or null when the model has none.</summary>
    public static Preprocessing? Read(IReadOnlyDictionary<string, string> metadata, string path)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(Key, out var text))
            return null;
        try
        {
            return JsonSerializer.Deserialize<Preprocessing>(text, Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new RistrettoException($"model file {path}: malformed preprocessing metadata ({e.Message.Split('\n')[0]})", e);
        }
    }
}
