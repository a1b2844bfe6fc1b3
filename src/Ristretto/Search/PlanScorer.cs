using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Graph;
using Ristretto.Quantization;

namespace Ristretto.Search;

/// <summary>Scores plans on a network (top-1/top-5 on the first test batches) and counts the evaluations.</summary>
internal sealed class PlanScorer(Network network, TensorImageSet test, int iterations, int batchSize,
    Action<int, string>? progress, CancellationToken cancel)
{
    /// <summary>The lowest top-1 (fraction) a plan may score: <paramref name="baselineTop1"/> − margin points / 100.</summary>
    public static double Threshold(double baselineTop1, double marginPoints)
    {
        if (!(marginPoints >= 0) || marginPoints > 100)
            throw new RistrettoException($"error margin must be between 0 and 100 percentage points, got {marginPoints}");
        return baselineTop1 - marginPoints / 100;
    }

    /// <summary>Evaluations made so far.</summary>
    public int Evaluations { get; private set; }

    /// <summary>Applies <paramref name="plan"/>, scores it, reports "<paramref name="what"/>: top-1 …".</summary>
    public EvalResult Score(QuantizationPlan plan, string what)
    {
        cancel.ThrowIfCancellationRequested();
        using var model = new QuantizedNetwork(network, plan);
        var r = Evaluator.Evaluate(model, test, batchSize, iterations);
        Evaluations++;
        progress?.Invoke(Evaluations, $"{what}: top-1 {r.Top1:P2}");
        return r;
    }
}
