using Ristretto.Engine;
using Ristretto.Data;
using Ristretto.Evaluation;
using Ristretto.Tests.Support;
using static TorchSharp.torch;

namespace Ristretto.Tests.Evaluation;

/// <summary>The fidelity metrics are what their definitions say, on outputs with known noise.</summary>
public sealed class MetricTests
{
    [Fact]
    public void Should_Measure_Agreement_Sqnr_And_Cosine_Against_The_Reference()
    {
        using var set = new TensorImageSet(SyntheticDigits.Create(40, seed: 5), CPU);
        // Reference: 10 outputs per image from the image mean; the scored outputs add noise of known power to half the images.
        Tensor Reference(Tensor x) => x.mean([2, 3]).repeat(1, 10) * tensor(Enumerable.Range(1, 10).Select(i => (float)i).ToArray());
        double signal = 0, noise = 0, cosine = 0;
        int agree = 0;
        var perImage = new List<(float[] F, float[] Q)>();
        var result = Evaluator.Evaluate((b, x) =>
        {
            var f = Reference(x);
            var n = zeros_like(f);
            n[TensorIndex.Slice(0, null, 2), TensorIndex.Slice(0, 1)] = tensor(50f); // pushes class 0 to the top on even images
            var q = f.Plus(n);
            for (int i = 0; i < f.shape[0]; i++)
                perImage.Add((f[i].data<float>().ToArray(), q[i].data<float>().ToArray()));
            return q;
        }, set, batchSize: 16, reference: (_, x) => Reference(x), metric: Metric.Sqnr);
        foreach (var (f, q) in perImage)
        {
            double dot = 0, nf = 0, nq = 0;
            for (int k = 0; k < f.Length; k++)
            {
                signal += (double)f[k] * f[k];
                noise += ((double)q[k] - f[k]) * ((double)q[k] - f[k]);
                dot += (double)f[k] * q[k];
                nf += (double)f[k] * f[k];
                nq += (double)q[k] * q[k];
            }
            cosine += dot / Math.Sqrt(nf * nq);
            agree += Array.IndexOf(f, f.Max()) == Array.IndexOf(q, q.Max()) ? 1 : 0;
        }
        Assert.Equal(40, result.Images);
        Assert.Equal(10 * Math.Log10(signal / noise), result.Metrics["sqnr_db"], 6);
        Assert.Equal(result.Metrics["sqnr_db"], result.Score);
        Assert.Equal(cosine / 40, result.Metrics["cosine"], 6);
        Assert.Equal(agree / 40.0, result.Metrics["agreement"], 6);
        Assert.InRange(result.Metrics["agreement"], 0.4, 0.6);
    }

    [Fact]
    public void Should_Turn_The_Margin_Into_Each_Metrics_Threshold()
    {
        Assert.Equal(0.97, Metric.Top1.Threshold(0.98, 1), 12);
        Assert.Equal(0.99, Metric.Agreement.Threshold(1, 1), 12);
        Assert.Equal(25, Metric.Sqnr.Threshold(double.PositiveInfinity, 25));
        Assert.Equal(0.995, Metric.Cosine.Threshold(1, 0.5), 12);
        Assert.Throws<RistrettoException>(() => Metric.Top1.Threshold(0.9, 101));
        Assert.Throws<RistrettoException>(() => Metric.Sqnr.Threshold(0, -1));
        Assert.Throws<RistrettoException>(() => Metric.Named("psnr"));
    }
}
