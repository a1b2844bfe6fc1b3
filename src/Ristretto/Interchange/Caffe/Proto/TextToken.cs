namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>One token of protobuf text format, with the position of its first character.</summary>
/// <param name="Kind">What kind of token it is.</param>
/// <param name="Text">The source text of the token (for a string, including its quotes).</param>
/// <param name="At">Where the token starts.</param>
/// <param name="Bytes">For a string, its bytes after escapes are decoded; otherwise null.</param>
internal readonly record struct TextToken(TextTokenKind Kind, string Text, TextPosition At, byte[]? Bytes = null)
{
    /// <summary>True for the symbol token <paramref name="symbol"/>.</summary>
    public bool Is(char symbol) => Kind == TextTokenKind.Symbol && Text.Length == 1 && Text[0] == symbol;

    /// <summary>Describes the token for an error message: <c>'{'</c>, <c>"abc"</c>, <c>the end of the file</c>.</summary>
    public string Describe() => Kind switch
    {
        TextTokenKind.End => "the end of the file",
        TextTokenKind.String => "string " + TextFormatError.Show(Text),
        _ => "'" + TextFormatError.Show(Text) + "'",
    };
}
