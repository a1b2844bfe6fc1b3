namespace Ristretto.IO;

/// <summary>
/// A lock between processes on one machine: an open lock file with no sharing (an advisory flock on Unix). Used where
/// several processes may fill the same cache at once (the MNIST download, the default LeNet's training), so only the
/// first does the work and the others wait for it and then find its result.
/// </summary>
public static class FileLock
{
    /// <summary>
    /// Opens <paramref name="path"/> exclusively, retrying until <paramref name="wait"/> has passed (then the last
    /// <see cref="IOException"/> propagates); <paramref name="waiting"/> is called once, when the first try finds it held.
    /// Dispose the stream to release the lock.
    /// </summary>
    public static FileStream Acquire(string path, TimeSpan wait, Action? waiting = null)
    {
        var deadline = DateTime.UtcNow + wait;
        bool told = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                if (!told)
                {
                    waiting?.Invoke();
                    told = true;
                }
                Thread.Sleep(200);
            }
        }
    }
}
