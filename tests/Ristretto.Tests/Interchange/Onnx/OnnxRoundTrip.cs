using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ristretto.Engine;
using Ristretto.Graph;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>Runs a network, its ONNX export in ONNX Runtime, and its re-import, on the same batch.</summary>
internal static class OnnxRoundTrip
{
    /// <summary>A random batch of <paramref name="batch"/> for the network's first input, uniform in [−1, 1).</summary>
    public static float[] RandomBatch(Network net, int batch, ulong seed, out long[] shape)
    {
        shape = [batch, .. net.Inputs[0].Shape.Skip(1)];
        using var scope = NewDisposeScope();
        using var g = new TorchSharp.torch.Generator(seed);
        return rand(shape, generator: g).Times(2.0).Minus(1.0).data<float>().ToArray();
    }

    /// <summary>Every output of <paramref name="net"/> for the input, as flat arrays.</summary>
    public static Dictionary<string, float[]> Ours(Network net, float[] input, long[] shape)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var outputs = net.Run(new Dictionary<string, TorchSharp.torch.Tensor> { [net.Inputs[0].Name] = tensor(input, shape) });
        return outputs.ToDictionary(p => p.Key, p => p.Value.contiguous().data<float>().ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Every output of the ONNX model run by ONNX Runtime (one thread, no graph rewrites), by output name.</summary>
    public static Dictionary<string, float[]> Ort(byte[] model, string inputName, float[] input, long[] shape)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        var tensor = new DenseTensor<float>(input, shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        return results.ToDictionary(r => r.Name, r => r.AsEnumerable<float>().ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Asserts |a − e| ≤ <paramref name="tolerance"/> · max |e| for every value (the outputs' own scale).</summary>
    public static void AssertClose(string what, float[] expected, float[] actual, double tolerance = 1e-4)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        Assert.True(scale > 0, $"{what}: the output is all zeros, which proves nothing");
        double worst = expected.Zip(actual).Max(p => Math.Abs((double)p.First - p.Second));
        Assert.True(worst <= tolerance * scale, $"{what}: max |Δ| {worst:G3} for values up to {scale:G3}");
    }
}
