namespace Ristretto.Interchange.Caffe.Proto;

/// <summary>Builds the one-line <c>file:line:column: message</c> errors of the text-format reader.</summary>
internal static class TextFormatError
{
    /// <summary>An error at <paramref name="at"/> in <paramref name="fileName"/>.</summary>
    public static RistrettoException At(string fileName, TextPosition at, string message) =>
        new($"{fileName}:{at.Line}:{at.Column}: {message}");

    /// <summary>Shows a token's text for an error message, shortened and with control characters escaped.</summary>
    public static string Show(string text)
    {
        string shown = text.Length > 40 ? text[..40] + "..." : text;
        var builder = new System.Text.StringBuilder(shown.Length);
        foreach (char c in shown)
            builder.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        return builder.ToString();
    }
}
