using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>
/// Turns one scalar value of protobuf text format into the CLR value a field's reflection accessor
/// takes: integers (decimal, 0x hex, 0 octal) range-checked for their type, floats (also
/// <c>inf</c>, <c>nan</c>, an <c>f</c> suffix), booleans, enum names or numbers, UTF-8 strings, bytes.
/// </summary>
internal static class TextScalar
{
    /// <summary>Converts <paramref name="token"/> (after an optional minus sign) for <paramref name="field"/>.</summary>
    /// <param name="field">The field the value is for.</param>
    /// <param name="token">The value token; for strings, its bytes are the concatenation of adjacent literals.</param>
    /// <param name="negative">Whether a minus sign came before the token.</param>
    /// <param name="fileName">For error messages.</param>
    public static object Convert(FieldDescriptor field, TextToken token, bool negative, string fileName)
    {
        RistrettoException Error(string what) => TextFormatError.At(fileName, token.At,
            $"expected {what} for field '{field.Name}', found {token.Describe()}");

        if (negative && token.Kind == TextTokenKind.String)
            throw Error(field.FieldType is FieldType.String or FieldType.Bytes ? "a string" : "a number");
        switch (field.FieldType)
        {
            case FieldType.String:
                if (token.Kind != TextTokenKind.String)
                    throw Error("a quoted string");
                try { return new UTF8Encoding(false, true).GetString(token.Bytes!); }
                catch (DecoderFallbackException) { throw TextFormatError.At(fileName, token.At, $"string for field '{field.Name}' is not valid UTF-8"); }
            case FieldType.Bytes:
                if (token.Kind != TextTokenKind.String)
                    throw Error("a quoted string");
                return ByteString.CopyFrom(token.Bytes!);
            case FieldType.Bool:
                if (!negative && token.Text is "true" or "True" or "t" or "1")
                    return true;
                if (!negative && token.Text is "false" or "False" or "f" or "0")
                    return false;
                throw Error("true or false");
            case FieldType.Float or FieldType.Double:
                bool single = field.FieldType == FieldType.Float;
                double real = ParseReal(token, single) ?? throw Error("a number");
                real = negative ? -real : real;
                return single ? (object)(float)real : real;
            case FieldType.Enum:
                return ConvertEnum(field, token, negative, fileName) ?? throw Error("an enum value name");
            default:
                return ConvertInteger(field, token, negative, fileName) ?? throw Error("an integer");
        }
    }

    private static object? ConvertEnum(FieldDescriptor field, TextToken token, bool negative, string fileName)
    {
        EnumDescriptor type = field.EnumType;
        EnumValueDescriptor? value;
        if (token.Kind == TextTokenKind.Identifier && !negative)
        {
            value = type.FindValueByName(token.Text);
            if (value is null)
                throw TextFormatError.At(fileName, token.At,
                    $"unknown value '{TextFormatError.Show(token.Text)}' for field '{field.Name}' (enum {type.Name}: {string.Join(", ", type.Values.Select(v => v.Name))})");
        }
        else if (token.Kind == TextTokenKind.Number && ParseInteger(token.Text) is ulong magnitude && magnitude <= int.MaxValue)
        {
            int number = negative ? -(int)magnitude : (int)magnitude;
            value = type.FindValueByNumber(number);
            if (value is null)
                throw TextFormatError.At(fileName, token.At, $"{number} is not a value of enum {type.Name} (field '{field.Name}')");
        }
        else
        {
            return null;
        }
        return Enum.ToObject(type.ClrType, value.Number);
    }

    private static object? ConvertInteger(FieldDescriptor field, TextToken token, bool negative, string fileName)
    {
        if (token.Kind != TextTokenKind.Number || ParseInteger(token.Text) is not ulong magnitude)
            return null;
        (decimal min, decimal max, string name) = field.FieldType switch
        {
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => ((decimal)int.MinValue, (decimal)int.MaxValue, "int32"),
            FieldType.UInt32 or FieldType.Fixed32 => (0m, (decimal)uint.MaxValue, "uint32"),
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => ((decimal)long.MinValue, (decimal)long.MaxValue, "int64"),
            _ => (0m, (decimal)ulong.MaxValue, "uint64"),
        };
        decimal value = negative ? -(decimal)magnitude : magnitude;
        if (value < min || value > max)
            throw TextFormatError.At(fileName, token.At,
                $"{(negative ? "-" : "")}{TextFormatError.Show(token.Text)} is out of range for {name} field '{field.Name}'");
        return field.FieldType switch
        {
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => (object)(int)value,
            FieldType.UInt32 or FieldType.Fixed32 => (uint)value,
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (long)value,
            _ => (ulong)value,
        };
    }

    /// <summary>Parses an unsigned integer literal: decimal, <c>0x</c> hex, or <c>0</c>-prefixed octal; null if it is not one.</summary>
    public static ulong? ParseInteger(string text)
    {
        if (text.Length > 2 && text[0] == '0' && text[1] is 'x' or 'X')
            return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong hex) ? hex : null;
        if (text.Length > 1 && text[0] == '0')
        {
            ulong octal = 0;
            foreach (char c in text.AsSpan(1))
            {
                if (c is < '0' or > '7' || octal > ulong.MaxValue / 8)
                    return null;
                octal = octal * 8 + (ulong)(c - '0');
            }
            return octal;
        }
        return text.All(char.IsAsciiDigit) && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
            ? value : null;
    }

    // A float field parses the literal as float directly: parsing as double first and then
    // narrowing could round twice and miss the float the text was written from.
    private static double? ParseReal(TextToken token, bool single)
    {
        if (token.Kind == TextTokenKind.Identifier)
            return token.Text.ToLowerInvariant() switch
            {
                "inf" or "infinity" => double.PositiveInfinity,
                "nan" => double.NaN,
                _ => null,
            };
        if (token.Kind != TextTokenKind.Number)
            return null;
        if (ParseInteger(token.Text) is ulong integer)
            return integer;
        string text = token.Text;
        if (text.EndsWith('f') || text.EndsWith('F'))
            text = text[..^1];
        if (text.Length == 0 || !text.All(c => char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-'))
            return null;
        const NumberStyles style = NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        if (single)
            return float.TryParse(text, style, CultureInfo.InvariantCulture, out float narrow) ? narrow : null;
        return double.TryParse(text, style, CultureInfo.InvariantCulture, out double real) ? real : null;
    }
}
