using Google.Protobuf;

namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>
/// What the text parser learned about where things are: the position of every nested message it
/// built (the position of its field name), and the fields it skipped on purpose. Lets later checks
/// (phase selection, structure validation) point at the line of the offending layer.
/// </summary>
internal sealed class TextSourceMap
{
    private readonly Dictionary<IMessage, TextPosition> _positions = new(ReferenceEqualityComparer.Instance);
    private readonly List<(string Field, TextPosition At)> _skipped = [];

    /// <summary>The file the text came from (its name as used in error messages).</summary>
    public required string FileName { get; init; }

    /// <summary>Fields that were parsed and dropped, by full name (e.g. <c>caffe.LayerParameter.slice_param</c>).</summary>
    public IReadOnlyList<(string Field, TextPosition At)> Skipped => _skipped;

    /// <summary>Records that <paramref name="message"/> starts at <paramref name="at"/>.</summary>
    public void Add(IMessage message, TextPosition at) => _positions[message] = at;

    /// <summary>Records a skipped field.</summary>
    public void AddSkipped(string field, TextPosition at) => _skipped.Add((field, at));

    /// <summary>Where <paramref name="message"/> was written, if it came from the text.</summary>
    public TextPosition? PositionOf(IMessage message) =>
        _positions.TryGetValue(message, out var at) ? at : null;

    /// <summary>The prefix of an error about <paramref name="message"/>: <c>file:line:column</c> or just <c>file</c>.</summary>
    public string Where(IMessage message) =>
        PositionOf(message) is TextPosition at ? $"{FileName}:{at}" : FileName;
}
