using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ristretto.Data;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.Quantization;
using Ristretto.Search;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>Plans on a LeNet for the quantized ONNX tests, and top-1 of a model in ONNX Runtime against the simulation.</summary>
internal static class QuantizedOnnxPlans
{
    /// <summary>int8: per-channel float-scale weights, asymmetric uint8 activations where they go negative.</summary>
    public static QuantizationPlan Int8PerChannel(Network net, TensorImageSet calibration, TensorImageSet test)
    {
        var ranges = Calibration.Measure(net, calibration, 4, 64);
        var scheme = new IntegerScheme(ScaleKind.Float, PerChannelWeights: true, AsymmetricActivations: true);
        return new RistrettoDfpSearch(net, ranges, test, 1, 100, scheme.Formats(net), IntegerScheme.Widths, scheme.Describe()).Plan(8, 8, 8);
    }

    /// <summary>Dynamic fixed point with <paramref name="conv"/>/<paramref name="fc"/>/<paramref name="activations"/> bits.</summary>
    public static QuantizationPlan Dfp(Network net, TensorImageSet calibration, TensorImageSet test, int conv, int fc, int activations)
    {
        var ranges = Calibration.Measure(net, calibration, 4, 64);
        return new RistrettoDfpSearch(net, ranges, test, 1, 100).Plan(conv, fc, activations);
    }

    /// <summary>
    /// Top-1 of the simulation (<paramref name="simulated"/>) and of ONNX Runtime running <paramref name="model"/> on
    /// <paramref name="set"/>, the images the two classify differently, and the largest output difference.
    /// </summary>
    public static (double Simulated, double Ort, int Disagree, double MaxDiff) Compare(nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> simulated, byte[] model, TensorImageSet set,
        string inputName = "data", bool optimize = true)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            GraphOptimizationLevel = optimize ? GraphOptimizationLevel.ORT_ENABLE_ALL : GraphOptimizationLevel.ORT_DISABLE_ALL,
        };
        using var session = new InferenceSession(model, options);
        int ours = 0, theirs = 0, disagree = 0;
        double maxDiff = 0;
        for (int start = 0; start < set.Count; start += 500)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int count = Math.Min(500, set.Count - start);
            var (x, y) = set.Slice(start, count);
            var logits = simulated.forward(x).contiguous();
            long[] mine = logits.argmax(1).data<long>().ToArray();
            float[] simulatedValues = logits.data<float>().ToArray();
            long[] labels = y.data<long>().ToArray();
            var input = new DenseTensor<float>(x.contiguous().data<float>().ToArray(), x.shape.Select(d => (int)d).ToArray());
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
            var output = results[0].AsTensor<float>();
            int classes = output.Dimensions[1];
            float[] ortValues = output.ToArray();
            for (int i = 0; i < count; i++)
            {
                int best = 0;
                for (int c = 1; c < classes; c++)
                    if (output[i, c] > output[i, best])
                        best = c;
                theirs += best == labels[i] ? 1 : 0;
                ours += mine[i] == labels[i] ? 1 : 0;
                disagree += best != mine[i] ? 1 : 0;
            }
            for (int k = 0; k < ortValues.Length; k++)
                maxDiff = Math.Max(maxDiff, Math.Abs(ortValues[k] - simulatedValues[k]));
        }
        return ((double)ours / set.Count, (double)theirs / set.Count, disagree, maxDiff);
    }
}
