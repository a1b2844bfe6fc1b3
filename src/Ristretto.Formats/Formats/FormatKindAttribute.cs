namespace Ristretto.Formats;

/// <summary>The <c>"kind"</c> a format's plan-file objects carry; the type also has <c>public static NumberFormat FromJson(JsonNode)</c>.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class FormatKindAttribute(string kind) : Attribute
{
    /// <summary>The kind, e.g. "dfp".</summary>
    public string Kind { get; } = kind;
}
