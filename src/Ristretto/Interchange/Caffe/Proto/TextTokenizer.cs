using System.Text;

namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>
/// Splits protobuf text format into tokens: identifiers, unsigned numbers, quoted strings (escapes
/// decoded, as bytes), and the symbols <c>{ } [ ] &lt; &gt; : , ; -</c>. Whitespace and <c>#</c>
/// comments are skipped. Every call consumes at least one character, so tokenizing always ends.
/// </summary>
internal sealed class TextTokenizer
{
    private readonly string _text;
    private readonly string _fileName;
    private int _index;
    private int _line = 1;
    private int _column = 1;
    private TextToken? _peeked;

    /// <summary>Tokenizes <paramref name="text"/>; <paramref name="fileName"/> is used in error messages.</summary>
    public TextTokenizer(string text, string fileName)
    {
        _text = text;
        _fileName = fileName;
    }

    /// <summary>The next token, without consuming it.</summary>
    public TextToken Peek() => _peeked ??= Read();

    /// <summary>Consumes and returns the next token.</summary>
    public TextToken Next()
    {
        var token = Peek();
        _peeked = null;
        return token;
    }

    private TextToken Read()
    {
        SkipSpaceAndComments();
        var at = new TextPosition(_line, _column);
        if (_index >= _text.Length)
            return new TextToken(TextTokenKind.End, "", at);
        char c = _text[_index];
        if (char.IsAsciiLetter(c) || c == '_')
            return new TextToken(TextTokenKind.Identifier, Take(IsIdentifierChar), at);
        if (char.IsAsciiDigit(c) || (c == '.' && _index + 1 < _text.Length && char.IsAsciiDigit(_text[_index + 1])))
            return new TextToken(TextTokenKind.Number, TakeNumber(), at);
        if (c is '"' or '\'')
            return ReadString(at);
        if ("{}[]<>:,;-".Contains(c))
        {
            Advance();
            return new TextToken(TextTokenKind.Symbol, c.ToString(), at);
        }
        throw TextFormatError.At(_fileName, at, $"unexpected character '{TextFormatError.Show(c.ToString())}'");
    }

    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    private void SkipSpaceAndComments()
    {
        while (_index < _text.Length)
        {
            char c = _text[_index];
            if (c == '#')
                while (_index < _text.Length && _text[_index] != '\n')
                    Advance();
            else if (char.IsWhiteSpace(c))
                Advance();
            else
                return;
        }
    }

    private void Advance()
    {
        if (_text[_index] == '\n')
        {
            _line++;
            _column = 1;
        }
        else
        {
            _column++;
        }
        _index++;
    }

    private string Take(Func<char, bool> accept)
    {
        int start = _index;
        while (_index < _text.Length && accept(_text[_index]))
            Advance();
        return _text[start.._index];
    }

    // Digits, letters (hex digits, exponent, 'f' suffix), dots, and a sign right after an exponent 'e'.
    private string TakeNumber()
    {
        int start = _index;
        bool hex = _index + 1 < _text.Length && _text[_index] == '0' && (_text[_index + 1] is 'x' or 'X');
        while (_index < _text.Length)
        {
            char c = _text[_index];
            bool sign = (c is '+' or '-') && !hex && _index > start && (_text[_index - 1] is 'e' or 'E');
            if (!(IsIdentifierChar(c) || c == '.' || sign))
                break;
            Advance();
        }
        return _text[start.._index];
    }

    private TextToken ReadString(TextPosition at)
    {
        int start = _index;
        char quote = _text[_index];
        Advance();
        var bytes = new List<byte>();
        Span<byte> utf8 = stackalloc byte[4];
        while (true)
        {
            if (_index >= _text.Length || _text[_index] == '\n')
                throw TextFormatError.At(_fileName, at, "unterminated string (no closing quote on its line)");
            char c = _text[_index];
            if (c == quote)
            {
                Advance();
                return new TextToken(TextTokenKind.String, _text[start.._index], at, bytes.ToArray());
            }
            if (c == '\\')
            {
                ReadEscape(bytes);
                continue;
            }
            int length = char.IsHighSurrogate(c) && _index + 1 < _text.Length && char.IsLowSurrogate(_text[_index + 1])
                ? 2 : 1;
            int written = Encoding.UTF8.GetBytes(_text.AsSpan(_index, length), utf8);
            for (int i = 0; i < written; i++)
                bytes.Add(utf8[i]);
            for (int i = 0; i < length; i++)
                Advance();
        }
    }

    private void ReadEscape(List<byte> bytes)
    {
        var at = new TextPosition(_line, _column);
        Advance();
        if (_index >= _text.Length || _text[_index] == '\n')
            throw TextFormatError.At(_fileName, at, "unterminated string (it ends in a backslash)");
        char c = _text[_index];
        Advance();
        switch (c)
        {
            case 'n': bytes.Add((byte)'\n'); return;
            case 't': bytes.Add((byte)'\t'); return;
            case 'r': bytes.Add((byte)'\r'); return;
            case 'a': bytes.Add(7); return;
            case 'b': bytes.Add(8); return;
            case 'f': bytes.Add(12); return;
            case 'v': bytes.Add(11); return;
            case '\\' or '\'' or '"' or '?': bytes.Add((byte)c); return;
            case >= '0' and <= '7':
                int octal = c - '0';
                for (int i = 0; i < 2 && _index < _text.Length && _text[_index] is >= '0' and <= '7'; i++)
                {
                    octal = octal * 8 + (_text[_index] - '0');
                    Advance();
                }
                if (octal > 255)
                    throw TextFormatError.At(_fileName, at, "octal escape is above \\377");
                bytes.Add((byte)octal);
                return;
            case 'x' or 'X':
                bytes.Add((byte)ReadHexDigits(at, 1, 2, "\\x"));
                return;
            case 'u' or 'U':
                int code = ReadHexDigits(at, c == 'u' ? 4 : 8, c == 'u' ? 4 : 8, "\\" + c);
                if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
                    throw TextFormatError.At(_fileName, at, $"\\{c} escape U+{code:X} is not a Unicode scalar value");
                bytes.AddRange(Encoding.UTF8.GetBytes(char.ConvertFromUtf32(code)));
                return;
            default:
                throw TextFormatError.At(_fileName, at, $"unknown escape '\\{TextFormatError.Show(c.ToString())}' in string");
        }
    }

    private int ReadHexDigits(TextPosition at, int min, int max, string escape)
    {
        long value = 0;
        int count = 0;
        while (count < max && _index < _text.Length && char.IsAsciiHexDigit(_text[_index]))
        {
            value = value * 16 + Convert.ToInt32(_text[_index].ToString(), 16);
            Advance();
            count++;
        }
        if (count < min)
            throw TextFormatError.At(_fileName, at, $"{escape} escape needs {min} hex digit(s)");
        return value > int.MaxValue ? int.MaxValue : (int)value;
    }
}
