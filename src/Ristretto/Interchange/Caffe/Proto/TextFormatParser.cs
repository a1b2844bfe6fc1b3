using System.Collections;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>
/// A recursive-descent parser for protobuf text format that fills any generated message through
/// its descriptor: fields by name, enums by name or number, nested messages as <c>name { }</c>,
/// <c>name: { }</c> or <c>name &lt; &gt;</c>, repeated fields given repeatedly or as <c>[a, b]</c>
/// lists, optional <c>,</c>/<c>;</c> separators. Unknown fields, a singular field given twice, and
/// any malformed value are errors of the form <c>file:line:column: message</c>.
/// </summary>
internal sealed class TextFormatParser
{
    private readonly TextTokenizer _tokens;
    private readonly string _fileName;
    private readonly TextFormatOptions _options;
    private readonly TextSourceMap _map;

    private TextFormatParser(string text, string fileName, TextFormatOptions options, TextSourceMap map)
    {
        _tokens = new TextTokenizer(text, fileName);
        _fileName = fileName;
        _options = options;
        _map = map;
    }

    /// <summary>Parses <paramref name="text"/> as a <typeparamref name="T"/>.</summary>
    /// <param name="text">The text-format content.</param>
    /// <param name="fileName">Name used in error messages.</param>
    /// <param name="options">Schema-specific exceptions; null for none.</param>
    /// <param name="map">Receives message positions and skipped fields; null if not needed.</param>
    /// <exception cref="RistrettoException">The text is malformed or does not fit the schema.</exception>
    public static T Parse<T>(string text, string fileName, TextFormatOptions? options = null, TextSourceMap? map = null)
        where T : IMessage<T>, new()
    {
        var message = new T();
        var parser = new TextFormatParser(text, fileName, options ?? new TextFormatOptions(), map ?? new TextSourceMap { FileName = fileName });
        parser.ParseFields(message, closing: null, opened: default, depth: 0);
        return message;
    }

    private void ParseFields(IMessage message, char? closing, TextPosition opened, int depth)
    {
        var seen = new HashSet<int>();
        while (true)
        {
            TextToken token = _tokens.Peek();
            if (token.Kind == TextTokenKind.End)
            {
                if (closing is null)
                    return;
                throw TextFormatError.At(_fileName, token.At,
                    $"missing '{closing}' at the end of the file (to close the block opened at {opened})");
            }
            if (closing is char c && token.Is(c))
            {
                _tokens.Next();
                return;
            }
            ParseField(message, seen, depth);
            if (_tokens.Peek().Is(',') || _tokens.Peek().Is(';'))
                _tokens.Next();
        }
    }

    private void ParseField(IMessage message, HashSet<int> seen, int depth)
    {
        TextToken name = _tokens.Next();
        MessageDescriptor type = message.Descriptor;
        if (name.Kind != TextTokenKind.Identifier)
            throw TextFormatError.At(_fileName, name.At, $"expected a field name of {type.Name}, found {name.Describe()}");
        FieldDescriptor? field = type.FindFieldByName(name.Text);
        string fullName = $"{type.FullName}.{name.Text}";
        if (field is not null && _options.RefusedFields.TryGetValue(fullName, out string? reason))
            throw TextFormatError.At(_fileName, name.At, reason);
        if (field is null)
        {
            if (!_options.SkippedFields.Contains(fullName))
                throw TextFormatError.At(_fileName, name.At, $"unknown field '{TextFormatError.Show(name.Text)}' in {type.Name}");
            _map.AddSkipped(fullName, name.At);
            SkipValue(name);
            return;
        }
        if (!field.IsRepeated && !seen.Add(field.FieldNumber))
            throw TextFormatError.At(_fileName, name.At, $"field '{field.Name}' is given twice in {type.Name}");

        bool colon = _tokens.Peek().Is(':');
        if (colon)
            _tokens.Next();
        bool isMessage = field.FieldType == FieldType.Message;
        if (!isMessage && !colon)
            throw TextFormatError.At(_fileName, _tokens.Peek().At, $"expected ':' after '{field.Name}', found {_tokens.Peek().Describe()}");

        if (_tokens.Peek().Is('['))
        {
            TextToken open = _tokens.Next();
            if (!field.IsRepeated)
                throw TextFormatError.At(_fileName, open.At, $"field '{field.Name}' is not repeated; a [list] needs a repeated field");
            if (_tokens.Peek().Is(']'))
            {
                _tokens.Next();
                return;
            }
            while (true)
            {
                AddValue(message, field, ReadValue(field, name, depth));
                TextToken next = _tokens.Next();
                if (next.Is(']'))
                    return;
                if (!next.Is(','))
                    throw TextFormatError.At(_fileName, next.At, $"expected ',' or ']' in the list of '{field.Name}', found {next.Describe()}");
            }
        }
        AddValue(message, field, ReadValue(field, name, depth));
    }

    private object ReadValue(FieldDescriptor field, TextToken name, int depth)
    {
        if (field.FieldType != FieldType.Message)
            return ReadScalar(field);
        TextToken open = _tokens.Next();
        char closing = open.Is('{') ? '}' : open.Is('<') ? '>' : '\0';
        if (closing == '\0')
            throw TextFormatError.At(_fileName, open.At, $"expected '{{' to start message '{field.Name}', found {open.Describe()}");
        if (depth + 1 > _options.MaxDepth)
            throw TextFormatError.At(_fileName, open.At, $"messages nest more than {_options.MaxDepth} deep");
        var child = (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
        _map.Add(child, name.At);
        ParseFields(child, closing, open.At, depth + 1);
        return child;
    }

    private object ReadScalar(FieldDescriptor field)
    {
        bool negative = false;
        if (_tokens.Peek().Is('-'))
        {
            _tokens.Next();
            negative = true;
        }
        TextToken token = _tokens.Next();
        if (token.Kind == TextTokenKind.String && _tokens.Peek().Kind == TextTokenKind.String)
        {
            var bytes = new List<byte>(token.Bytes!);
            while (_tokens.Peek().Kind == TextTokenKind.String)
                bytes.AddRange(_tokens.Next().Bytes!);
            token = token with { Bytes = bytes.ToArray() };
        }
        return TextScalar.Convert(field, token, negative, _fileName);
    }

    private static void AddValue(IMessage message, FieldDescriptor field, object value)
    {
        if (field.IsRepeated)
            ((IList)field.Accessor.GetValue(message)).Add(value);
        else
            field.Accessor.SetValue(message, value);
    }

    // Skips the value of a field outside our schema subset: a scalar, a [list], or a balanced block.
    private void SkipValue(TextToken name)
    {
        if (_tokens.Peek().Is(':'))
        {
            _tokens.Next();
            if (!_tokens.Peek().Is('{') && !_tokens.Peek().Is('<') && !_tokens.Peek().Is('['))
            {
                if (_tokens.Peek().Is('-'))
                    _tokens.Next();
                TextToken value = _tokens.Next();
                if (value.Kind is not (TextTokenKind.Identifier or TextTokenKind.Number or TextTokenKind.String))
                    throw TextFormatError.At(_fileName, value.At, $"expected a value for '{name.Text}', found {value.Describe()}");
                while (value.Kind == TextTokenKind.String && _tokens.Peek().Kind == TextTokenKind.String)
                    _tokens.Next();
                return;
            }
        }
        TextToken open = _tokens.Next();
        if (!open.Is('{') && !open.Is('<') && !open.Is('['))
            throw TextFormatError.At(_fileName, open.At, $"expected ':' or '{{' after '{name.Text}', found {open.Describe()}");
        var stack = new Stack<(char Closing, TextPosition At)>();
        stack.Push((Closing(open), open.At));
        while (stack.Count > 0)
        {
            TextToken token = _tokens.Next();
            if (token.Kind == TextTokenKind.End)
                throw TextFormatError.At(_fileName, token.At,
                    $"missing '{stack.Peek().Closing}' at the end of the file (to close the block opened at {stack.Peek().At})");
            if (token.Is('{') || token.Is('<') || token.Is('['))
            {
                if (stack.Count >= _options.MaxDepth)
                    throw TextFormatError.At(_fileName, token.At, $"messages nest more than {_options.MaxDepth} deep");
                stack.Push((Closing(token), token.At));
            }
            else if (token.Is('}') || token.Is('>') || token.Is(']'))
            {
                if (token.Text[0] != stack.Peek().Closing)
                    throw TextFormatError.At(_fileName, token.At, $"expected '{stack.Peek().Closing}' (to close the block opened at {stack.Peek().At}), found {token.Describe()}");
                stack.Pop();
            }
        }
    }

    private static char Closing(TextToken open) => open.Text[0] switch { '{' => '}', '<' => '>', _ => ']' };
}
