namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>A place in a text file: 1-based line and column (a tab counts as one column).</summary>
internal readonly record struct TextPosition(int Line, int Column)
{
    /// <summary>Formats as <c>line:column</c>, the way compilers print positions.</summary>
    public override string ToString() => $"{Line}:{Column}";
}
