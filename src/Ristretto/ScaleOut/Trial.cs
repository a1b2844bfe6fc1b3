using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ristretto.Data;
using Ristretto.Data.Images;
using Ristretto.Data.Sources;
using Ristretto.Evaluation;
using Ristretto.Models;
using Ristretto.Quantization;
using Ristretto.Search;

namespace Ristretto.ScaleOut;

/// <summary>The model a trial scores: its file (and a Caffe prototxt's caffemodel) and the SHA-256 of their bytes.</summary>
public sealed record ModelReference(string Path, string? Weights, string Sha256)
{
    /// <summary>The reference to <paramref name="path"/> (absolute), hashing the file and its weights.</summary>
    public static ModelReference Of(string path, string? weights)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = System.IO.Path.GetFullPath(path);
        string? fullWeights = weights is null ? null : System.IO.Path.GetFullPath(weights);
        return new ModelReference(full, fullWeights, Hash(full, fullWeights));
    }

    /// <summary>The SHA-256 (hex) of <paramref name="path"/>'s bytes followed by <paramref name="weights"/>'s.</summary>
    public static string Hash(string path, string? weights)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in weights is null ? [path] : new[] { path, weights })
        {
            if (!File.Exists(file))
                throw new RistrettoException($"model file {file} does not exist on this node");
            using var stream = File.OpenRead(file);
            var buffer = new byte[1 << 20];
            int n;
            while ((n = stream.Read(buffer)) > 0)
                sha.AppendData(buffer, 0, n);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

/// <summary>
/// What every trial of a search shares besides its plan: the model, the evaluated data (sources as absolute paths or
/// names, the subset and its seed, the preprocessing resolved as the search applied it), the metric and how many
/// batches of which size score a plan. A worker rebuilds the search's evaluated set from it.
/// </summary>
public sealed record TrialContext
{
    /// <summary>The model scored.</summary>
    public required ModelReference Model { get; init; }

    /// <summary>The data settings the evaluated set is opened with (paths absolute; no adjustment function: its result is in <see cref="DataSettings.Preprocessing"/>).</summary>
    public required DataSettings Data { get; init; }

    /// <summary>The metric the search is driven by.</summary>
    public required Metric Metric { get; init; }

    /// <summary>Whether agreement, SQNR and cosine are measured on every plan.</summary>
    public bool MeasureFidelity { get; init; }

    /// <summary>Test batch size.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Batches scored per plan.</summary>
    public required int Iterations { get; init; }

    /// <summary>
    /// When set, a plan is scored by its loss on the first calibration images (the Hessian allocation's probes) instead
    /// of by <see cref="Metric"/>, and <see cref="DataSettings.Preprocessing"/> is the one the search applied to its
    /// calibration images.
    /// </summary>
    public CalibrationLoss? Loss { get; init; }

    /// <summary>
    /// The context of a search over <paramref name="data"/> as the search opened it, with <paramref name="preprocessing"/> the one it
    /// applied to the evaluated images (so a worker needs neither the model's remembered one nor the CLI's adjustments).
    /// </summary>
    public static TrialContext Of(ModelReference model, DataSettings data, Preprocessing? preprocessing, Metric metric, bool measureFidelity, int batchSize, int iterations)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new TrialContext
        {
            Model = model,
            Data = data with
            {
                Data = Absolute(data.Data)!,
                TrainData = Absolute(data.TrainData),
                CalibrationData = Absolute(data.CalibrationData),
                Open = data.Open with { Root = Absolute(data.Open.Root), ClassesFile = Absolute(data.Open.ClassesFile) },
                Preprocessing = preprocessing ?? data.Preprocessing,
                Adjust = null,
                Streaming = new StreamingOptions { SkipBadImages = data.Streaming.SkipBadImages, CacheBytes = data.Streaming.CacheBytes },
            },
            Metric = metric,
            MeasureFidelity = measureFidelity,
            BatchSize = batchSize,
            Iterations = iterations,
        };
    }

    /// <summary>An existing file or folder as an absolute path; a name (mnist, cifar10, …) as it is.</summary>
    private static string? Absolute(string? spec) =>
        spec is not null && (File.Exists(spec) || Directory.Exists(spec)) ? System.IO.Path.GetFullPath(spec) : spec;

    /// <summary>The context as JSON (part of every trial file).</summary>
    public JsonObject ToJson()
    {
        var meta = new Dictionary<string, string>();
        ModelPreprocessing.Write(meta, Data.Preprocessing);
        var json = new JsonObject
        {
            ["model"] = new JsonObject { ["path"] = Model.Path, ["weights"] = Model.Weights, ["sha256"] = Model.Sha256 },
            ["data"] = new JsonObject
            {
                ["data"] = Data.Data,
                ["train_data"] = Data.TrainData,
                ["calibration_data"] = Data.CalibrationData,
                ["root"] = Data.Open.Root,
                ["classes_file"] = Data.Open.ClassesFile,
                ["cifar_label"] = Data.Open.CifarLabel == CifarLabel.Coarse ? "coarse" : "fine",
                ["images"] = Data.Images,
                ["subset_seed"] = Data.SubsetSeed,
                ["calibration_images"] = Data.CalibrationImages,
                ["preprocessing"] = meta.TryGetValue(ModelPreprocessing.Key, out var p) ? JsonNode.Parse(p) : null,
                ["skip_bad_images"] = Data.Streaming.SkipBadImages,
                ["cache_bytes"] = Data.Streaming.CacheBytes,
            },
            ["metric"] = Metric.Name,
            ["measure_fidelity"] = MeasureFidelity,
            ["batch_size"] = BatchSize,
            ["iterations"] = Iterations,
            ["seed"] = Data.SubsetSeed,
        };
        if (Loss is not null)
            json["calibration_loss"] = new JsonObject { ["images"] = Loss.Images };
        return json;
    }

    /// <summary>Reads the context of a trial file; relative paths are relative to <paramref name="folder"/>.</summary>
    internal static TrialContext FromJson(JsonObject root, string folder, string file)
    {
        var model = Get<JsonObject>(root, "model", file);
        var data = Get<JsonObject>(root, "data", file);
        string? Path(JsonObject o, string key) => o[key]?.GetValue<string>() is { } v
            ? System.IO.Path.IsPathRooted(v) || !(File.Exists(System.IO.Path.Combine(folder, v)) || Directory.Exists(System.IO.Path.Combine(folder, v))) ? v : System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, v))
            : null;
        Preprocessing? preprocessing = data["preprocessing"] is JsonObject pre
            ? ModelPreprocessing.Read(new Dictionary<string, string> { [ModelPreprocessing.Key] = pre.ToJsonString() }, file)
            : null;
        return new TrialContext
        {
            Model = new ModelReference(Path(model, "path") ?? throw Bad(file, "model.path"), Path(model, "weights"), model["sha256"]?.GetValue<string>() ?? throw Bad(file, "model.sha256")),
            Data = new DataSettings
            {
                Data = Path(data, "data") ?? throw Bad(file, "data.data"),
                TrainData = Path(data, "train_data"),
                CalibrationData = Path(data, "calibration_data"),
                Open = new DataOpenOptions
                {
                    Root = Path(data, "root"),
                    ClassesFile = Path(data, "classes_file"),
                    CifarLabel = data["cifar_label"]?.GetValue<string>() == "coarse" ? CifarLabel.Coarse : CifarLabel.Fine,
                },
                Images = data["images"]?.GetValue<int>(),
                SubsetSeed = data["subset_seed"]?.GetValue<ulong>(),
                CalibrationImages = data["calibration_images"]?.GetValue<int>() ?? 640,
                Preprocessing = preprocessing,
                Streaming = new StreamingOptions
                {
                    SkipBadImages = data["skip_bad_images"]?.GetValue<bool>() ?? false,
                    CacheBytes = data["cache_bytes"]?.GetValue<long>() ?? (1L << 30),
                },
            },
            Metric = Metric.Named(root["metric"]?.GetValue<string>() ?? throw Bad(file, "metric")),
            MeasureFidelity = root["measure_fidelity"]?.GetValue<bool>() ?? false,
            BatchSize = root["batch_size"]?.GetValue<int>() ?? throw Bad(file, "batch_size"),
            Iterations = root["iterations"]?.GetValue<int>() ?? throw Bad(file, "iterations"),
            Loss = root["calibration_loss"] is JsonObject loss ? new CalibrationLoss(loss["images"]?.GetValue<int>() is { } n and > 0 ? n : throw Bad(file, "calibration_loss.images")) : null,
        };
    }

    internal static T Get<T>(JsonObject o, string key, string file) where T : JsonNode =>
        o[key] as T ?? throw Bad(file, key);

    internal static RistrettoException Bad(string file, string what) => new($"{file}: not a trial file of this version (no valid '{what}')");
}

/// <summary>One numbered trial: a complete plan and what scores it.</summary>
/// <param name="Index">The trial's number in its work folder.</param>
/// <param name="Round">The search round it belongs to (from 1).</param>
/// <param name="What">What the search calls the candidate.</param>
/// <param name="Plan">The plan scored.</param>
/// <param name="Context">The model, data and metric.</param>
public sealed record Trial(int Index, int Round, string What, QuantizationPlan Plan, TrialContext Context)
{
    /// <summary>The version of trial and result files this build writes and reads.</summary>
    public const int Version = 1;

    /// <summary>The trial file's text.</summary>
    public string Serialize()
    {
        var root = new JsonObject
        {
            ["version"] = Version,
            ["index"] = Index,
            ["round"] = Round,
            ["what"] = What,
        };
        foreach (var (key, value) in Context.ToJson())
            root[key] = value?.DeepClone();
        root["plan"] = JsonNode.Parse(PlanFile.Serialize(Plan));
        return root.ToJsonString(WorkFolder.JsonOptions) + "\n";
    }

    /// <summary>Reads a trial file (a malformed one is one error naming it).</summary>
    public static Trial Parse(string text, string file, string folder)
    {
        var root = WorkFolder.ParseObject(text, file, "trial");
        if (root["version"]?.GetValue<int>() is not Version)
            throw new RistrettoException($"{file}: trial file version {root["version"]?.ToJsonString() ?? "(none)"}; this build reads version {Version}");
        try
        {
            var plan = PlanFile.Parse(TrialContext.Get<JsonObject>(root, "plan", file).ToJsonString(), file);
            return new Trial(root["index"]?.GetValue<int>() ?? throw TrialContext.Bad(file, "index"), root["round"]?.GetValue<int>() ?? 0,
                root["what"]?.GetValue<string>() ?? "", plan, TrialContext.FromJson(root, folder, file));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            throw new RistrettoException($"{file}: malformed trial file ({e.Message.Split('\n')[0]})", e);
        }
    }
}

/// <summary>A trial's outcome: its scores, where and how long it ran.</summary>
public sealed record TrialResult(int Index, string What, EvalResult Score, string Host, string Device, double Seconds)
{
    /// <summary>The result file's text (a NaN score is written as null).</summary>
    public string Serialize()
    {
        static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
        var metrics = new JsonObject();
        foreach (var (k, v) in Score.Metrics)
            metrics[k] = Number(v);
        var root = new JsonObject
        {
            ["version"] = Trial.Version,
            ["index"] = Index,
            ["what"] = What,
            ["top1"] = Number(Score.Top1),
            ["top5"] = Number(Score.Top5),
            ["images"] = Score.Images,
            ["seconds"] = Score.Seconds,
            ["score"] = Number(Score.Score),
            ["metrics"] = metrics,
            ["host"] = Host,
            ["device"] = Device,
            ["worker_seconds"] = Seconds,
        };
        return root.ToJsonString(WorkFolder.JsonOptions) + "\n";
    }

    /// <summary>Reads a result file of trial <paramref name="index"/>; one that does not parse is one error naming it.</summary>
    public static TrialResult Parse(string text, string file, int index)
    {
        var root = WorkFolder.ParseObject(text, file, "trial result");
        try
        {
            if (root["version"]?.GetValue<int>() is not Trial.Version)
                throw new FormatException($"version {root["version"]?.ToJsonString() ?? "(none)"}, this build reads {Trial.Version}");
            if (root["index"]?.GetValue<int>() != index)
                throw new FormatException($"it is the result of trial {root["index"]?.ToJsonString() ?? "(none)"}");
            static double Number(JsonNode? n) => n is null ? double.NaN : n.GetValue<double>();
            var metrics = new Dictionary<string, double>();
            if (root["metrics"] is JsonObject m)
                foreach (var (k, v) in m)
                    metrics[k] = Number(v);
            var score = new EvalResult(Number(root["top1"]), Number(root["top5"]), root["images"]!.GetValue<int>(), root["seconds"]!.GetValue<double>())
            {
                Score = Number(root["score"]),
                Metrics = metrics,
            };
            return new TrialResult(index, root["what"]?.GetValue<string>() ?? "", score, root["host"]?.GetValue<string>() ?? "",
                root["device"]?.GetValue<string>() ?? "", root["worker_seconds"]?.GetValue<double>() ?? 0);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new RistrettoException($"result file {file} does not parse as a trial result: {e.Message.Split('\n')[0]} (delete it to score the trial again)", e);
        }
    }

    /// <summary>A number for logs.</summary>
    internal static string Format(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
}
