using System.Diagnostics;
using System.Globalization;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Evaluation;
using Ristretto.ScaleOut;
using Ristretto.Search;
using TorchSharp;

namespace Ristretto.Jobs;

/// <summary>The <c>trial</c> verb's settings: a work folder and the index to score (or serve indices from a pool).</summary>
public sealed record TrialSettings
{
    /// <summary>The trial folder a search wrote.</summary>
    public required string Work { get; init; }

    /// <summary>The trial to score (with <see cref="Serve"/>: none).</summary>
    public int? Index { get; init; }

    /// <summary>Score the indices read one per line from standard input, answering one line each (a local pool's worker).</summary>
    public bool Serve { get; init; }

    /// <summary>The device (cpu, cuda, cuda:N); null: CUDA when present.</summary>
    public string? Device { get; init; }

    /// <summary>Checks the combination.</summary>
    public TrialSettings Validate()
    {
        if (Serve == Index.HasValue)
            throw new RistrettoException("trial: give --index I (one trial) or --serve (indices on standard input)");
        if (Index is < 0)
            throw new RistrettoException($"--index must be ≥ 0, got {Index}");
        return this;
    }
}

/// <summary>What <see cref="TrialWorker.Run"/> did: scored trial <see cref="Index"/>, or found its result there already.</summary>
public sealed record TrialOutcome(int Index, string What, bool Skipped, EvalResult Score, string ResultPath, string LogPath)
{
    /// <summary>The JSON document of this outcome (the CLI's <c>--json</c>).</summary>
    public Dictionary<string, object?> ToJson() => new()
    {
        ["index"] = Index,
        ["what"] = What,
        ["skipped"] = Skipped,
        ["scores"] = JobJson.Scores(Score),
        ["result"] = ResultPath,
        ["log"] = LogPath,
    };
}

/// <summary>
/// The <c>trial</c> job: scores one numbered trial of a work folder (see <see cref="WorkFolder"/>) and writes its result
/// atomically, with a log of its own; a trial whose result exists is skipped, so running an index again is resuming.
/// The worker checks that it is the build of the tool the folder was started with and that its model file has the
/// manifest's SHA-256, then rebuilds the search's evaluated set from the trial's data reference.
/// </summary>
public static class TrialWorker
{
    /// <summary>Scores trial <see cref="TrialSettings.Index"/>.</summary>
    public static TrialOutcome Run(TrialSettings settings, IJobObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var folder = WorkFolder.OpenForWorker(settings.Work);
        using var session = new Session(folder, settings.Device, observer ?? JobObserver.Silent);
        return session.Score(settings.Index!.Value, cancel);
    }

    /// <summary>
    /// Scores each index read from <paramref name="input"/> and answers on <paramref name="output"/>: <c>ok I</c>,
    /// <c>skipped I</c> or <c>failed I: message</c>; the model and data stay loaded between trials. Ends at end of input.
    /// </summary>
    public static void Serve(TrialSettings settings, TextReader input, TextWriter output, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        settings.Validate();
        var folder = WorkFolder.OpenForWorker(settings.Work);
        using var session = new Session(folder, settings.Device, JobObserver.Silent);
        while (input.ReadLine() is { } line)
        {
            cancel.ThrowIfCancellationRequested();
            if (!int.TryParse(line.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                output.WriteLine($"failed {line.Trim()}: not a trial index");
                output.Flush();
                continue;
            }
            string answer;
            try
            {
                answer = session.Score(index, cancel).Skipped ? $"skipped {index}" : $"ok {index}";
            }
            catch (RistrettoException e)
            {
                answer = $"failed {index}: {e.Message}";
            }
            output.WriteLine(answer);
            output.Flush();
        }
    }

    /// <summary>The model, data and scorer of the trials a worker scores, loaded once per model and data reference.</summary>
    private sealed class Session(WorkFolder folder, string? device, IJobObserver observer) : IDisposable
    {
        private readonly torch.Device _device = DeviceSelector.Resolve(device);
        private string? _key;
        private LoadedModel? _model;
        private JobData? _data;
        private RoundEvaluator? _scorer;

        public TrialOutcome Score(int index, CancellationToken cancel)
        {
            var trial = folder.ReadTrial(index);
            string log = folder.LogPath(index);
            if (folder.HasResult(index))
            {
                var known = folder.ReadResult(index);
                return new TrialOutcome(index, trial.What, true, known.Score, folder.ResultPath(index), log);
            }
            folder.Log(index, $"scoring trial {index} ({trial.What}) on {Environment.MachineName}, pid {Environment.ProcessId}, {_device}");
            try
            {
                var watch = Stopwatch.StartNew();
                var scorer = Prepare(trial.Context, index, cancel);
                var score = scorer.ScoreOne(trial.Plan, trial.What);
                var result = new TrialResult(index, trial.What, score, Environment.MachineName, _device.ToString(), watch.Elapsed.TotalSeconds);
                folder.WriteResult(result);
                string scored = trial.Context.Loss is null ? $"{trial.Context.Metric.Title} {trial.Context.Metric.Format(score.Driving)}" : CalibrationLoss.Format(score.Score);
                folder.Log(index, $"done: {scored} in {watch.Elapsed.TotalSeconds:F2} s → {folder.ResultPath(index)}");
                return new TrialOutcome(index, trial.What, false, score, folder.ResultPath(index), log);
            }
            catch (Exception e) when (e is RistrettoException or IOException)
            {
                folder.Log(index, $"error: {e.Message}");
                throw;
            }
        }

        private RoundEvaluator Prepare(TrialContext context, int index, CancellationToken cancel)
        {
            string key = context.ToJson().ToJsonString();
            if (_key == key && _scorer is not null)
                return _scorer;
            Release();
            string hash = ModelReference.Hash(context.Model.Path, context.Model.Weights);
            if (hash != context.Model.Sha256)
                throw new RistrettoException($"trial {index}: model {context.Model.Path} on this node has SHA-256 {hash}, the search's had {context.Model.Sha256}");
            void Log(string line)
            {
                folder.Log(index, line);
                observer.Info(line);
            }
            _model = ModelLoader.Load(context.Model.Path, _device, context.Model.Weights, applyQuantization: false);
            var network = _model.Network("quantized");
            // A loss trial reads only the calibration images (its context's preprocessing is theirs).
            _data = JobData.Open(context.Data, network.Inputs[0].Shape, _device, eval: context.Loss is null, train: false, calibration: true, null, Log);
            _scorer = context.Loss is { } loss
                ? RoundEvaluator.InProcessLoss(network, _data.Calibration!, loss, null, cancel)
                : PlanEvaluator.InProcess(network, _data.Eval!, context.Iterations, context.BatchSize, context.Metric, context.MeasureFidelity, null, cancel);
            _key = key;
            return _scorer;
        }

        private void Release()
        {
            _scorer?.Dispose();
            _data?.Dispose();
            _model?.Dispose();
            (_scorer, _data, _model, _key) = (null, null, null, null);
        }

        public void Dispose() => Release();
    }
}
