namespace Ristretto.IO;

/// <summary>
/// A folder a job made for its own use and removes when it ends, however it ends (<see cref="Dispose"/>: after a
/// failure or Ctrl+C too); <see cref="Delete"/> removes it earlier. Removal is best effort: a file still held open
/// elsewhere leaves the folder behind rather than hiding the job's own outcome.
/// </summary>
public sealed class TemporaryFolder(string path) : IDisposable
{
    /// <summary>The folder.</summary>
    public string Path { get; } = path ?? throw new ArgumentNullException(nameof(path));

    /// <summary>Removes the folder and everything in it (nothing when it is not there).</summary>
    public void Delete()
    {
        try
        {
            if (Directory.Exists(Path))
                Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <inheritdoc />
    public void Dispose() => Delete();
}
