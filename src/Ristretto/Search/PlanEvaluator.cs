using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>One plan a search wants scored, and what it is called in progress lines and trial files.</summary>
public sealed record Candidate(string What, QuantizationPlan Plan);

/// <summary>
/// The scores of one round of candidates, read in order by the search. An in-process evaluator computes an entry when
/// it is first read, so a serial run scores exactly the candidates its decisions reach; a fanned-out evaluator has them
/// all (the ones a decision never reads were evaluated ahead and are dropped).
/// </summary>
public sealed class RoundScores
{
    private readonly EvalResult?[] _known;
    private readonly Func<int, EvalResult>? _score;

    /// <summary>Scores computed when first read by <paramref name="score"/>.</summary>
    public RoundScores(int count, Func<int, EvalResult> score)
    {
        _known = new EvalResult?[count];
        _score = score ?? throw new ArgumentNullException(nameof(score));
    }

    /// <summary>Scores known already.</summary>
    public RoundScores(IReadOnlyList<EvalResult> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        _known = [.. scores];
    }

    /// <summary>Candidates in the round.</summary>
    public int Count => _known.Length;

    /// <summary>The score of candidate <paramref name="index"/> (computed now if it was not).</summary>
    public EvalResult this[int index] => _known[index] ??= _score!(index);
}

/// <summary>
/// Where a round of candidate plans is scored: the common part of <see cref="PlanEvaluator"/> (scored by a metric on
/// the evaluated set) and of an evaluator scoring by another measure (<see cref="CalibrationLoss"/>). A search hands a
/// round to <see cref="Score"/> and reads the scores in order.
/// </summary>
public abstract class RoundEvaluator : IDisposable
{
    /// <summary>Evaluations made so far (a fanned-out run counts the candidates scored ahead too).</summary>
    public abstract int Evaluations { get; }

    /// <summary>
    /// How many candidates of a step a search may hand over at once when only the first ones may matter (the greedy
    /// per-layer search's moves): unbounded in process, where only what is read gets scored; a launcher's parallelism
    /// otherwise.
    /// </summary>
    public abstract int Lookahead { get; }

    /// <summary>Scores <paramref name="round"/> (for an in-process evaluator: lazily, as read).</summary>
    public abstract RoundScores Score(IReadOnlyList<Candidate> round);

    /// <summary>Scores one plan.</summary>
    public EvalResult ScoreOne(QuantizationPlan plan, string what) => Score([new Candidate(what, plan)])[0];

    /// <summary>
    /// Scores plans in this process by their <paramref name="loss"/> on <paramref name="calibration"/> (computed when
    /// read); <paramref name="progress"/> gets one line per plan.
    /// </summary>
    public static RoundEvaluator InProcessLoss(Network network, ImageDataset calibration, CalibrationLoss loss, Action<int, string>? progress, CancellationToken cancel) =>
        new LossEvaluator(network, calibration, loss, progress, cancel);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the evaluator holds.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    private sealed class LossEvaluator(Network network, ImageDataset calibration, CalibrationLoss loss, Action<int, string>? progress, CancellationToken cancel)
        : RoundEvaluator
    {
        private int _evaluations;

        public override int Evaluations => _evaluations;

        public override int Lookahead => int.MaxValue;

        public override RoundScores Score(IReadOnlyList<Candidate> round)
        {
            ArgumentNullException.ThrowIfNull(round);
            var candidates = round.ToArray();
            return new RoundScores(candidates.Length, i =>
            {
                cancel.ThrowIfCancellationRequested();
                var r = loss.Score(network, candidates[i].Plan, calibration);
                progress?.Invoke(++_evaluations, $"{candidates[i].What}: {CalibrationLoss.Format(r.Score)}");
                return r;
            });
        }
    }
}

/// <summary>
/// Where a search's candidate plans are scored by its metric. Every search (the per-type sweeps, minifloat, power of
/// two, the greedy per-layer search, the Hessian allocation's final scores; a new one the same way) is written as
/// rounds: it hands a round of candidates to <see cref="RoundEvaluator.Score"/>, reads their scores in order, decides,
/// and hands the next round. The same decision code runs whether the round is scored here, one plan at a time when read
/// (<see cref="InProcess"/>, the serial run), or written as numbered trials that a launcher runs elsewhere
/// (<c>ScaleOut</c>), so a fanned-out search computes the same plan and scores as the serial one.
/// </summary>
public abstract class PlanEvaluator : RoundEvaluator
{
    /// <summary>What plans are scored by.</summary>
    public abstract Metric Metric { get; }

    /// <summary>The lowest score a plan may have: the metric's threshold for <paramref name="baseline"/> and <paramref name="margin"/>.</summary>
    public double ThresholdOf(EvalResult baseline, double margin) => Metric.Threshold(baseline.Driving, margin);

    /// <summary>Scores plans in this process with a <see cref="PlanScorer"/> (the float prefix reused across rounds).</summary>
    public static PlanEvaluator InProcess(Network network, ImageDataset test, int iterations, int batchSize, Metric metric, bool measureFidelity,
        Action<int, string>? progress, CancellationToken cancel) =>
        new InProcessEvaluator(new PlanScorer(network, test, iterations, batchSize, progress, cancel) { Metric = metric, MeasureFidelity = measureFidelity });

    private sealed class InProcessEvaluator(PlanScorer scorer) : PlanEvaluator
    {
        public override Metric Metric => scorer.Metric;

        public override int Evaluations => scorer.Evaluations;

        public override int Lookahead => int.MaxValue;

        public override RoundScores Score(IReadOnlyList<Candidate> round)
        {
            ArgumentNullException.ThrowIfNull(round);
            var candidates = round.ToArray();
            scorer.Expect(candidates.Select(c => c.Plan));
            return new RoundScores(candidates.Length, i => scorer.Score(candidates[i].Plan, candidates[i].What));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                scorer.Dispose();
        }
    }
}

/// <summary>
/// Opens the evaluator a search scores its rounds with (a folder of trials and a launcher); a search without one
/// scores in process.
/// </summary>
public interface IEvaluatorSource
{
    /// <summary>An evaluator scoring by <paramref name="metric"/>; the search disposes it when done.</summary>
    PlanEvaluator Open(Metric metric, bool measureFidelity, Action<int, string>? progress, CancellationToken cancel);

    /// <summary>An evaluator scoring by <paramref name="loss"/> on the calibration images; the search disposes it when done.</summary>
    RoundEvaluator OpenLoss(CalibrationLoss loss, Action<int, string>? progress, CancellationToken cancel);
}
