namespace Ristretto.IO;

/// <summary>
/// Reads a file the user named, turning every way it can fail (a folder, no such file, no permission, an
/// I/O error) into one <see cref="RistrettoException"/> line that says what the file was meant to be.
/// </summary>
public static class InputFile
{
    /// <summary>All bytes of <paramref name="path"/>; <paramref name="what"/> names it in errors (e.g. "model file").</summary>
    public static byte[] ReadAllBytes(string path, string what)
    {
        CheckReadable(path, what);
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RistrettoException($"cannot read {what} {path}: {e.Message}", e);
        }
    }

    /// <summary>Throws the one-line error for a <paramref name="path"/> that is a folder or does not exist.</summary>
    public static void CheckReadable(string path, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            throw new RistrettoException($"{what} {path} is a folder, not a file");
        if (!File.Exists(path))
            throw new RistrettoException($"{what} {path} does not exist");
    }
}
