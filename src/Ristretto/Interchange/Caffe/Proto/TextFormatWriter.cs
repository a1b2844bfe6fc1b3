using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>
/// Writes any generated message as protobuf text format, the way Caffe's prototxt files look:
/// fields in field-number order, one per line, two-space indentation, nested messages as
/// <c>name { }</c>. Only fields that are present are written, so <see cref="TextFormatParser"/>
/// reads the text back to an equal message (floats are written in their shortest round-trip form).
/// </summary>
internal static class TextFormatWriter
{
    /// <summary>The text form of <paramref name="message"/>.</summary>
    public static string Write(IMessage message)
    {
        var text = new StringBuilder();
        WriteFields(text, message, indent: 0);
        return text.ToString();
    }

    private static void WriteFields(StringBuilder text, IMessage message, int indent)
    {
        foreach (FieldDescriptor field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            object value = field.Accessor.GetValue(message);
            if (field.IsRepeated)
            {
                foreach (object item in (IList)value)
                    WriteField(text, field, item, indent);
            }
            else if (IsPresent(field, message, value))
            {
                WriteField(text, field, value, indent);
            }
        }
    }

    private static bool IsPresent(FieldDescriptor field, IMessage message, object? value)
    {
        if (field.HasPresence)
            return field.Accessor.HasValue(message);
        return value switch
        {
            null => false,
            string s => s.Length > 0,
            ByteString b => b.Length > 0,
            bool b => b,
            Enum e => Convert.ToInt32(e, CultureInfo.InvariantCulture) != 0,
            IConvertible n => n.ToDouble(CultureInfo.InvariantCulture) != 0 || double.IsNegative(n.ToDouble(CultureInfo.InvariantCulture)),
            _ => true,
        };
    }

    private static void WriteField(StringBuilder text, FieldDescriptor field, object value, int indent)
    {
        text.Append(' ', indent * 2).Append(field.Name);
        if (value is IMessage child)
        {
            text.Append(" {\n");
            WriteFields(text, child, indent + 1);
            text.Append(' ', indent * 2).Append("}\n");
            return;
        }
        text.Append(": ").Append(FormatScalar(field, value)).Append('\n');
    }

    private static string FormatScalar(FieldDescriptor field, object value) => value switch
    {
        string s => Quote(Encoding.UTF8.GetBytes(s)),
        ByteString b => Quote(b.ToByteArray()),
        bool b => b ? "true" : "false",
        float f => FormatReal(f, f.ToString("R", CultureInfo.InvariantCulture)),
        double d => FormatReal(d, d.ToString("R", CultureInfo.InvariantCulture)),
        Enum e => field.EnumType.FindValueByNumber(Convert.ToInt32(e, CultureInfo.InvariantCulture))?.Name
            ?? Convert.ToInt32(e, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"no text form for {value.GetType().Name}"),
    };

    private static string FormatReal(double value, string roundTrip) =>
        double.IsNaN(value) ? "nan"
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : roundTrip;

    private static string Quote(byte[] bytes)
    {
        var text = new StringBuilder(bytes.Length + 2).Append('"');
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case (byte)'"': text.Append("\\\""); break;
                case (byte)'\\': text.Append("\\\\"); break;
                case (byte)'\n': text.Append("\\n"); break;
                case (byte)'\r': text.Append("\\r"); break;
                case (byte)'\t': text.Append("\\t"); break;
                case >= 0x20 and < 0x7F: text.Append((char)b); break;
                default: text.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0')); break;
            }
        }
        return text.Append('"').ToString();
    }
}
