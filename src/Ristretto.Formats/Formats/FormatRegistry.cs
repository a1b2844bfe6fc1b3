using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Ristretto.Formats;

/// <summary>
/// Reads formats back from plan files by their <c>"kind"</c>. The formats of this assembly are found by their
/// <see cref="FormatKindAttribute"/>; another assembly's format is added with <see cref="Register"/>.
/// </summary>
public static class FormatRegistry
{
    private static readonly ConcurrentDictionary<string, Func<JsonNode, NumberFormat>> Readers = new(StringComparer.Ordinal);

    static FormatRegistry()
    {
        foreach (var type in typeof(NumberFormat).Assembly.GetTypes())
            if (type.GetCustomAttribute<FormatKindAttribute>() is not null)
                Register(type);
    }

    /// <summary>Registers <paramref name="type"/>: a <see cref="NumberFormat"/> with <see cref="FormatKindAttribute"/> and a static FromJson(JsonNode).</summary>
    public static void Register(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var kind = type.GetCustomAttribute<FormatKindAttribute>()?.Kind
            ?? throw new ArgumentException($"{type.Name} has no [FormatKind]", nameof(type));
        var read = type.GetMethod("FromJson", BindingFlags.Public | BindingFlags.Static, [typeof(JsonNode)])
            ?? throw new ArgumentException($"{type.Name} has no public static FromJson(JsonNode)", nameof(type));
        Readers[kind] = node => (NumberFormat)read.Invoke(null, [node])!;
    }

    /// <summary>The kinds known.</summary>
    public static IReadOnlyCollection<string> Kinds => Readers.Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>The format <paramref name="node"/> describes; one error line for an unknown kind or a bad parameter.</summary>
    public static NumberFormat FromJson(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        string? kind = (string?)node["kind"];
        if (kind is null || !Readers.TryGetValue(kind, out var read))
            throw new RistrettoException($"unknown format kind '{kind}' ({string.Join(", ", Kinds)})");
        try
        {
            return read(node);
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(inner).Throw();
            throw;
        }
    }

    /// <summary>The integer <paramref name="key"/> of a format object; one error line when it is missing.</summary>
    public static int Int(JsonNode node, string key) =>
        node[key] is { } v ? (int)v : throw new RistrettoException($"missing \"{key}\"");

    /// <summary>The float <paramref name="key"/> of a format object; one error line when it is missing.</summary>
    public static float Float(JsonNode node, string key) =>
        node[key] is { } v ? (float)v : throw new RistrettoException($"missing \"{key}\"");
}
