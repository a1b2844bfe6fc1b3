namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>The kinds of token in protobuf text format.</summary>
internal enum TextTokenKind
{
    /// <summary>A name: field names, enum values, <c>true</c>, <c>inf</c>.</summary>
    Identifier,

    /// <summary>A number literal without its sign (the sign is a separate <c>-</c> symbol).</summary>
    Number,

    /// <summary>A quoted string; <see cref="TextToken.Bytes"/> holds its decoded bytes.</summary>
    String,

    /// <summary>One of <c>{ } [ ] &lt; &gt; : , ; -</c>.</summary>
    Symbol,

    /// <summary>The end of the input.</summary>
    End,
}
