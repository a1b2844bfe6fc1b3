namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>
/// Schema-specific exceptions to the text parser's rule that an unknown field is an error.
/// Keys are full field names, e.g. <c>caffe.NetParameter.layers</c>.
/// </summary>
internal sealed record TextFormatOptions
{
    /// <summary>Fields the schema knows but refuses, with the one-line reason given at their position.</summary>
    public IReadOnlyDictionary<string, string> RefusedFields { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Names of fields (qualified by their message's full name, e.g. <c>caffe.LayerParameter.slice_param</c>)
    /// that are not in our schema subset but are legitimate in the full one: their value is parsed
    /// for well-formedness and dropped, and recorded in <see cref="TextSourceMap.Skipped"/>.
    /// </summary>
    public IReadOnlySet<string> SkippedFields { get; init; } = new HashSet<string>();

    /// <summary>How deeply messages may nest before the input is refused.</summary>
    public int MaxDepth { get; init; } = 64;
}
