using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ristretto.IO;

namespace Ristretto.ScaleOut;

/// <summary>
/// A search's trial folder: <c>manifest.json</c> (the search's identity, the model's and the tool's SHA-256),
/// <c>trials/I.json</c> (numbered trials, each complete), <c>results/I.json</c> (written atomically by whoever scored
/// trial I), <c>logs/I.log</c> (each trial's own log), and the launchers' scripts and manifests. The search holds
/// <c>search.lock</c> while it runs (an OS lock, released when its process ends however it ends), so a second search in
/// the same folder is refused; workers do not take it. Every file is written atomically.
/// </summary>
public sealed class WorkFolder : IDisposable
{
    /// <summary>JSON as the folder's files are written (indented, readable escapes).</summary>
    internal static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private FileStream? _lock;

    private WorkFolder(string path) => Path = path;

    /// <summary>The folder (absolute).</summary>
    public string Path { get; }

    /// <summary>The manifest: the search identity, the model and tool hashes.</summary>
    public string ManifestPath => System.IO.Path.Combine(Path, "manifest.json");

    /// <summary>Trial <paramref name="index"/>'s file.</summary>
    public string TrialPath(int index) => System.IO.Path.Combine(Path, "trials", Name(index));

    /// <summary>Trial <paramref name="index"/>'s result.</summary>
    public string ResultPath(int index) => System.IO.Path.Combine(Path, "results", Name(index));

    /// <summary>Trial <paramref name="index"/>'s log.</summary>
    public string LogPath(int index) => System.IO.Path.Combine(Path, "logs", $"{index.ToString(CultureInfo.InvariantCulture)}.log");

    /// <summary>A sub-folder for a launcher's files (created).</summary>
    public string Folder(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;

    /// <summary>The SHA-256 of this build of the tool (Ristretto and Ristretto.Formats assemblies).</summary>
    public static string ToolHash { get; } = HashTool();

    /// <summary>The tool's version.</summary>
    public static string ToolVersion { get; } = typeof(WorkFolder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>
    /// Opens <paramref name="path"/> for a search (created if new) and locks it. A folder whose manifest names another
    /// search (<paramref name="identity"/>), another model, or another build of the tool is refused, as is a folder
    /// another search holds.
    /// </summary>
    public static WorkFolder OpenForSearch(string path, string identity, ModelReference model)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        if (File.Exists(path))
            throw new RistrettoException($"--work {path} is a file; give a folder");
        var folder = new WorkFolder(System.IO.Path.GetFullPath(path));
        foreach (var sub in new[] { "", "trials", "results", "logs" })
            Directory.CreateDirectory(System.IO.Path.Combine(folder.Path, sub));
        folder.Lock();
        try
        {
            string searchHash = Sha256(identity);
            if (File.Exists(folder.ManifestPath))
            {
                var m = folder.ReadManifest();
                if (m["search_sha256"]?.GetValue<string>() != searchHash)
                    throw new RistrettoException($"--work {path} holds the trials of another search ({m["search"]?.GetValue<string>()}); give another folder, or delete it");
                if (m["model"]?["sha256"]?.GetValue<string>() != model.Sha256)
                    throw new RistrettoException($"--work {path} holds the trials of another model ({m["model"]?["path"]?.GetValue<string>()}); give another folder, or delete it");
                if (m["tool"]?["sha256"]?.GetValue<string>() != ToolHash)
                    throw new RistrettoException($"--work {path} was started by another build of ristretto ({m["tool"]?["version"]?.GetValue<string>()}); its results may differ from this build's: give another folder, or delete it");
            }
            else
            {
                var manifest = new JsonObject
                {
                    ["version"] = Trial.Version,
                    ["search"] = identity,
                    ["search_sha256"] = searchHash,
                    ["model"] = new JsonObject { ["path"] = model.Path, ["weights"] = model.Weights, ["sha256"] = model.Sha256 },
                    ["tool"] = new JsonObject { ["version"] = ToolVersion, ["sha256"] = ToolHash },
                    ["created"] = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture),
                };
                AtomicFile.WriteText(folder.ManifestPath, manifest.ToJsonString(JsonOptions) + "\n");
            }
        }
        catch
        {
            folder.Dispose();
            throw;
        }
        return folder;
    }

    /// <summary>
    /// Writes the model the trials score when the search changed the weights of the model file it was given (batch norms
    /// folded, layers equalized): <paramref name="save"/> writes it to a temporary file, which becomes
    /// <paramref name="fileName"/> in the folder, and its SHA-256 goes into the manifest (<c>scored_model</c>). A resumed
    /// search must write the same bytes; a folder whose manifest names another is refused.
    /// </summary>
    public ModelReference WriteModel(string fileName, Action<string> save)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(save);
        string path = System.IO.Path.Combine(Path, fileName);
        string temporary = System.IO.Path.Combine(Path, $".{System.IO.Path.GetFileNameWithoutExtension(fileName)}-{Guid.NewGuid():N}{System.IO.Path.GetExtension(fileName)}");
        try
        {
            save(temporary);
            var model = ModelReference.Of(temporary, null) with { Path = path };
            var manifest = ReadManifest();
            if (manifest["scored_model"]?["sha256"]?.GetValue<string>() is { } known && known != model.Sha256)
                throw new RistrettoException($"--work {Path} holds the trials of another transformed model ({fileName} with SHA-256 {known}, this search's has {model.Sha256}); give another folder, or delete it");
            if (!File.Exists(path) || ModelReference.Hash(path, null) != model.Sha256)
                File.Move(temporary, path, overwrite: true);
            if (manifest["scored_model"] is null)
            {
                manifest["scored_model"] = new JsonObject { ["path"] = path, ["sha256"] = model.Sha256 };
                AtomicFile.WriteText(ManifestPath, manifest.ToJsonString(JsonOptions) + "\n");
            }
            return model;
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    /// <summary>Refuses, before any work, a folder that another search holds (its lock is taken and released at once).</summary>
    public static void RefuseIfLocked(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(System.IO.Path.Combine(path, "search.lock")))
            return;
        new WorkFolder(System.IO.Path.GetFullPath(path)).Lock(probe: true);
    }

    /// <summary>Opens <paramref name="path"/> for a worker: it must hold a manifest written by this build of the tool.</summary>
    public static WorkFolder OpenForWorker(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var folder = new WorkFolder(System.IO.Path.GetFullPath(path));
        if (!File.Exists(folder.ManifestPath))
            throw new RistrettoException($"--work {path} is not a trial folder (no manifest.json)");
        var m = folder.ReadManifest();
        if (m["tool"]?["sha256"]?.GetValue<string>() != ToolHash)
            throw new RistrettoException($"--work {path} was written by another build of ristretto ({m["tool"]?["version"]?.GetValue<string>()}, SHA-256 {m["tool"]?["sha256"]?.GetValue<string>()}); run the same build on every node");
        return folder;
    }

    /// <summary>The number of trials written so far (they are numbered from 0 without gaps).</summary>
    public int TrialCount
    {
        get
        {
            int n = 0;
            while (File.Exists(TrialPath(n)))
                n++;
            return n;
        }
    }

    /// <summary>
    /// Writes <paramref name="trial"/> unless the same trial is there (a resumed search writes the same trials in the same
    /// order); a different trial under the same number means the folder holds another search.
    /// </summary>
    public void WriteTrial(Trial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        string text = trial.Serialize();
        string path = TrialPath(trial.Index);
        if (File.Exists(path))
        {
            if (File.ReadAllText(path) == text)
                return;
            throw new RistrettoException($"--work {Path}: trial {trial.Index} there is not this search's ({trial.What}); the folder holds another search's trials: give another folder, or delete it");
        }
        AtomicFile.WriteText(path, text);
    }

    /// <summary>Reads trial <paramref name="index"/>; an index the folder does not hold is one error.</summary>
    public Trial ReadTrial(int index)
    {
        string path = TrialPath(index);
        if (index < 0 || !File.Exists(path))
        {
            int count = TrialCount;
            throw new RistrettoException(count == 0
                ? $"--index {index}: {Path} holds no trials yet"
                : $"--index {index} is out of range: {Path} holds trials 0 to {count - 1}");
        }
        return Trial.Parse(File.ReadAllText(path), path, Path);
    }

    /// <summary>Whether trial <paramref name="index"/> has a result.</summary>
    public bool HasResult(int index) => File.Exists(ResultPath(index));

    /// <summary>Trial <paramref name="index"/>'s result; one that does not parse is one error naming the file.</summary>
    public TrialResult ReadResult(int index)
    {
        string path = ResultPath(index);
        return TrialResult.Parse(File.ReadAllText(path), path, index);
    }

    /// <summary>Writes a result atomically.</summary>
    public void WriteResult(TrialResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        AtomicFile.WriteText(ResultPath(result.Index), result.Serialize());
    }

    /// <summary>Appends a line to trial <paramref name="index"/>'s log.</summary>
    public void Log(int index, string line) =>
        File.AppendAllText(LogPath(index), $"{DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} {line}\n");

    /// <summary>Writes a launcher file atomically (a script or a manifest).</summary>
    public static void WriteFile(string path, string text) => AtomicFile.WriteText(path, text);

    /// <summary>Releases the search lock.</summary>
    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }

    /// <summary>Parses a JSON object; anything else is one error naming the file.</summary>
    internal static JsonObject ParseObject(string text, string file, string what)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new RistrettoException($"{file} does not parse as a {what}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new RistrettoException($"{file} does not parse as a {what}: {e.Message.Split('\n')[0]}", e);
        }
    }

    private JsonObject ReadManifest() => ParseObject(File.ReadAllText(ManifestPath), ManifestPath, "trial folder manifest");

    private void Lock(bool probe = false)
    {
        string path = System.IO.Path.Combine(Path, "search.lock");
        try
        {
            // FileShare.None takes an advisory lock (flock) on Unix: a second search, in this process or another, is refused,
            // and a search that dies releases it with its process.
            _lock = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            string holder = "";
            try
            {
                holder = File.ReadAllText(path).Trim();
            }
            catch (IOException)
            {
            }
            throw new RistrettoException($"--work {Path} is locked by another search{(holder.Length > 0 ? $" ({holder})" : "")}; wait for it, or give another folder");
        }
        if (probe)
        {
            Dispose();
            return;
        }
        _lock.SetLength(0);
        _lock.Write(Encoding.UTF8.GetBytes($"pid {Environment.ProcessId} on {Environment.MachineName}\n"));
        _lock.Flush();
    }

    private static string Name(int index) => $"{index.ToString(CultureInfo.InvariantCulture)}.json";

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string HashTool()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var assembly in new[] { typeof(WorkFolder).Assembly, typeof(Formats.NumberFormat).Assembly })
            if (!string.IsNullOrEmpty(assembly.Location) && File.Exists(assembly.Location))
                sha.AppendData(File.ReadAllBytes(assembly.Location));
            else
                sha.AppendData(Encoding.UTF8.GetBytes(assembly.FullName ?? ""));
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
