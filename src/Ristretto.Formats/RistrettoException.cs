using System.Text;

namespace Ristretto;

/// <summary>
/// An error caused by the user's input or environment (a missing file, a malformed model, an impossible
/// bit-width, a device that is not there). Its message is one line that the CLI prints as it is,
/// without a stack trace. Programming errors use the ordinary exception types instead.
/// </summary>
public class RistrettoException : Exception
{
    /// <summary>Creates the error with its one-line message (see <see cref="OneLine"/>).</summary>
    public RistrettoException(string message) : base(OneLine(message)) { }

    /// <summary>Creates the error with its one-line message (see <see cref="OneLine"/>) and the underlying cause.</summary>
    public RistrettoException(string message, Exception inner) : base(OneLine(message), inner) { }

    /// <summary>
    /// <paramref name="message"/> with line breaks and other control characters written as escapes (<c>\n</c>, <c>\r</c>,
    /// <c>\t</c>, <c>\u0085</c>), so that a name taken from a file (an ONNX node, a Caffe layer named <c>"a\nb"</c>) cannot
    /// break the one line the CLI prints.
    /// </summary>
    public static string OneLine(string message)
    {
        if (message is null || !message.Any(IsBreaking))
            return message!;
        var s = new StringBuilder(message.Length + 8);
        foreach (char c in message)
        {
            if (!IsBreaking(c))
                s.Append(c);
            else
                s.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => $"\\u{(int)c:x4}" });
        }
        return s.ToString();
    }

    private static bool IsBreaking(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
