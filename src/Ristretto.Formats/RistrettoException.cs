namespace Ristretto;

/// <summary>
/// An error caused by the user's input or environment (a missing file, a malformed model, an impossible
/// bit-width, a device that is not there). Its message is one line that the CLI prints as it is,
/// without a stack trace. Programming errors use the ordinary exception types instead.
/// </summary>
public class RistrettoException : Exception
{
    /// <summary>Creates the error with its one-line message.</summary>
    public RistrettoException(string message) : base(message) { }

    /// <summary>Creates the error with its one-line message and the underlying cause.</summary>
    public RistrettoException(string message, Exception inner) : base(message, inner) { }
}
