using Ristretto.IO;

namespace Ristretto.Reports;

/// <summary>
/// Writes a report folder all at once: the files go into a temporary sibling folder, which then replaces the
/// target (an existing folder is moved aside and deleted only after the rename). A failure leaves the old folder
/// (or none) and no partial output.
/// </summary>
public static class ReportFolder
{
    /// <summary>Runs <paramref name="fill"/> on a fresh temporary folder, then moves it to <paramref name="path"/>.</summary>
    public static void Write(string path, Action<string> fill)
    {
        ArgumentNullException.ThrowIfNull(fill);
        string full = Path.GetFullPath(path);
        if (File.Exists(full))
            throw new RistrettoException($"cannot write the report to {path}: it is a file");
        string parent = Path.GetDirectoryName(full.TrimEnd(Path.DirectorySeparatorChar))
            ?? throw new RistrettoException($"cannot write the report to {path}");
        Directory.CreateDirectory(parent);
        string name = Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar));
        string temp = Path.Combine(parent, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        string? old = null;
        try
        {
            Directory.CreateDirectory(temp);
            fill(temp);
            if (Directory.Exists(full))
            {
                old = Path.Combine(parent, $".{name}.{Guid.NewGuid():N}.old");
                Directory.Move(full, old);
            }
            Directory.Move(temp, full);
        }
        catch (UnauthorizedAccessException e)
        {
            Restore(full, old);
            TryDelete(temp);
            throw new RistrettoException($"cannot write the report to {path}: permission denied", e);
        }
        catch
        {
            Restore(full, old);
            TryDelete(temp);
            throw;
        }
        if (old is not null)
            TryDelete(old);
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteBytes(string path, byte[] bytes) => AtomicFile.Write(path, s => s.Write(bytes));

    private static void Restore(string full, string? old)
    {
        if (old is not null && !Directory.Exists(full) && Directory.Exists(old))
            Directory.Move(old, full);
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
