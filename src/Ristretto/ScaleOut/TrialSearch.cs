using System.Globalization;
using Ristretto.Data.Images;
using Ristretto.Evaluation;
using Ristretto.Search;

namespace Ristretto.ScaleOut;

/// <summary>The trials of one round a launcher is asked to run.</summary>
/// <param name="Folder">The work folder.</param>
/// <param name="Round">The round's number (from 1).</param>
/// <param name="First">The round's first trial index.</param>
/// <param name="Count">The round's trials (First … First + Count − 1).</param>
/// <param name="Missing">The indices without a result, to run.</param>
/// <param name="Attempt">0 for the first run of the round, then 1, 2, … for retries of what is still missing.</param>
public sealed record TrialBatch(WorkFolder Folder, int Round, int First, int Count, IReadOnlyList<int> Missing, int Attempt);

/// <summary>
/// Runs a round's missing trials on a scheduler and returns when none is running any more (each trial writes its own
/// result; a worker that died leaves its index without one, which <see cref="TrialSearch"/> runs again, bounded).
/// </summary>
public interface ITrialLauncher : IDisposable
{
    /// <summary>Trials that run at once (how many candidates a search hands over ahead).</summary>
    int Slots { get; }

    /// <summary>Whether the scheduler retries a failed index itself (then a round is launched once).</summary>
    bool RetriesItself { get; }

    /// <summary>Runs <paramref name="batch"/>; <paramref name="log"/> gets progress lines; cancelling stops the workers or jobs.</summary>
    void Run(TrialBatch batch, Action<string> log, CancellationToken cancel);
}

/// <summary>Thrown by a launcher after <c>--dry-run</c> wrote its script or manifest: nothing was submitted.</summary>
public sealed class DryRunWritten(string path, int trials) : Exception($"dry run: wrote {path} ({trials} trials)")
{
    /// <summary>The script or manifest written.</summary>
    public string ScriptPath { get; } = path;

    /// <summary>The trials the first round holds.</summary>
    public int Trials { get; } = trials;
}

/// <summary>What a fanned-out search did, for the job's result.</summary>
/// <param name="Folder">The work folder.</param>
/// <param name="Launcher">The launcher (local:2, slurm, …).</param>
/// <param name="Rounds">Rounds written.</param>
/// <param name="Trials">Trials written.</param>
/// <param name="Resumed">Trials whose result was there already (a resumed search).</param>
/// <param name="Retried">Runs of trials whose first run left no result.</param>
public sealed record ScaleOutSummary(string Folder, string Launcher, int Rounds, int Trials, int Resumed, int Retried);

/// <summary>
/// A search's rounds as numbered trials in a work folder, run by a launcher: the <see cref="IEvaluatorSource"/> a
/// search is given to fan out. Trials are numbered across the whole job in the order the searches ask for them (a
/// resumed job asks again in the same order, so each number names the same plan); a round's trials that already have a
/// result are not run again. Holds the folder's lock until disposed.
/// </summary>
public sealed class TrialSearch : IEvaluatorSource, IDisposable
{
    private readonly WorkFolder _folder;
    private readonly TrialContext _context;
    private readonly ITrialLauncher _launcher;
    private readonly ScaleOutSettings _settings;
    private readonly Action<string> _log;
    private int _next, _round, _resumed, _retried;

    /// <summary>
    /// Runs a search's rounds as trials in <paramref name="folder"/> (opened for the search, whose lock it takes over) with <paramref name="context"/>;
    /// <paramref name="log"/> gets per-round progress lines.
    /// </summary>
    public TrialSearch(WorkFolder folder, TrialContext context, ScaleOutSettings settings, Action<string>? log = null)
    {
        _folder = folder ?? throw new ArgumentNullException(nameof(folder));
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _settings = (settings ?? throw new ArgumentNullException(nameof(settings))).Validate();
        _log = log ?? (_ => { });
        _launcher = TrialLaunchers.Create(settings, folder);
    }

    /// <summary>The preprocessing the search applied to its calibration images (scored by <see cref="CalibrationLoss"/> trials); null: the evaluated images'.</summary>
    public Preprocessing? CalibrationPreprocessing { get; init; }

    /// <summary>What the search did so far.</summary>
    public ScaleOutSummary Summary => new(_folder.Path, _settings.Describe(), _round, _next, _resumed, _retried);

    /// <inheritdoc />
    public PlanEvaluator Open(Metric metric, bool measureFidelity, Action<int, string>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(metric);
        if (metric != _context.Metric || measureFidelity != _context.MeasureFidelity)
            throw new InvalidOperationException($"the search scores by {metric.Name} but its trials by {_context.Metric.Name}");
        return new Evaluator(this, _context, progress, cancel);
    }

    /// <inheritdoc />
    public RoundEvaluator OpenLoss(CalibrationLoss loss, Action<int, string>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(loss);
        var context = _context with { Loss = loss, Data = _context.Data with { Preprocessing = CalibrationPreprocessing ?? _context.Data.Preprocessing } };
        return new LossEvaluator(this, context, progress, cancel);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _launcher.Dispose();
        _folder.Dispose();
    }

    /// <summary>
    /// Writes <paramref name="candidates"/> as the next round's trials with <paramref name="context"/>, runs the missing
    /// ones and returns their scores; <paramref name="counter"/> counts the trials and, as the search reads them, the
    /// scores read (the progress, which never counts a candidate scored ahead that no decision reads).
    /// </summary>
    private RoundScores Run(IReadOnlyList<Candidate> candidates, TrialContext context, Action<int, string>? progress, Counter counter, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        int first = _next, round = ++_round;
        for (int i = 0; i < candidates.Count; i++)
            _folder.WriteTrial(new Trial(first + i, round, candidates[i].What, candidates[i].Plan, context));
        _next += candidates.Count;
        var indices = Enumerable.Range(first, candidates.Count).ToList();
        var missing = indices.Where(i => !_folder.HasResult(i)).ToList();
        _resumed += candidates.Count - missing.Count;
        _log($"round {round}: trials {Range(first, candidates.Count)}{(missing.Count < candidates.Count ? $", {candidates.Count - missing.Count} with results already" : "")}");
        int attempts = _launcher.RetriesItself ? 1 : _settings.Retries + 1;
        for (int attempt = 0; attempt < attempts && missing.Count > 0; attempt++)
        {
            if (attempt > 0)
            {
                _retried += missing.Count;
                _log($"round {round}: {missing.Count} trial(s) left no result ({string.Join(", ", missing)}); running them again ({attempt} of {attempts - 1})");
            }
            _launcher.Run(new TrialBatch(_folder, round, first, candidates.Count, missing, attempt), _log, cancel);
            cancel.ThrowIfCancellationRequested();
            missing = missing.Where(i => !_folder.HasResult(i)).ToList();
        }
        if (missing.Count > 0)
            throw new RistrettoException($"round {round}: trial(s) {string.Join(", ", missing)} left no result after {attempts} run(s); see {string.Join(", ", missing.Take(3).Select(_folder.LogPath))}");
        var scores = indices.Select(i => _folder.ReadResult(i).Score).ToList();
        counter.Trials += scores.Count;
        _log($"round {round}: done, {candidates.Count} trial(s) scored");
        return new RoundScores(scores.Count, i =>
        {
            progress?.Invoke(++counter.Read, $"{candidates[i].What}: {(context.Loss is null ? $"{context.Metric.Title} {context.Metric.Format(scores[i].Driving)}" : CalibrationLoss.Format(scores[i].Score))}");
            return scores[i];
        });
    }

    private static string Range(int first, int count) => count == 1
        ? first.ToString(CultureInfo.InvariantCulture)
        : $"{first.ToString(CultureInfo.InvariantCulture)}–{(first + count - 1).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>An evaluator's count of trials and of scores read.</summary>
    private sealed class Counter
    {
        public int Trials;
        public int Read;
    }

    private sealed class Evaluator(TrialSearch search, TrialContext context, Action<int, string>? progress, CancellationToken cancel) : PlanEvaluator
    {
        private readonly Counter _count = new();

        public override Metric Metric => context.Metric;

        public override int Evaluations => _count.Trials;

        public override int Lookahead => search._launcher.Slots;

        public override RoundScores Score(IReadOnlyList<Candidate> round)
        {
            ArgumentNullException.ThrowIfNull(round);
            return search.Run(round, context, progress, _count, cancel);
        }
    }

    private sealed class LossEvaluator(TrialSearch search, TrialContext context, Action<int, string>? progress, CancellationToken cancel) : RoundEvaluator
    {
        private readonly Counter _count = new();

        public override int Evaluations => _count.Trials;

        public override int Lookahead => search._launcher.Slots;

        public override RoundScores Score(IReadOnlyList<Candidate> round)
        {
            ArgumentNullException.ThrowIfNull(round);
            return search.Run(round, context, progress, _count, cancel);
        }
    }
}
