using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Models;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>Finds the shared ONNX fixtures and runs models through Ristretto and through ONNX Runtime.</summary>
internal static class OnnxFixtures
{
    /// <summary>The ONNX test suite's tolerances.</summary>
    public const double Rtol = 1e-3, Atol = 1e-7;

    private static readonly Lazy<string> OnnxRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string shared = Path.Combine(dir.FullName, "..", "shared");
            if (File.Exists(Path.Combine(dir.FullName, "Ristretto.sln")) && Directory.Exists(shared))
                return Path.GetFullPath(Path.Combine(shared, "fixtures", "onnx"));
        }
        throw new DirectoryNotFoundException($"no folder above {AppContext.BaseDirectory} holds Ristretto.sln with ../shared beside it");
    });

    public static string Ops => Path.Combine(OnnxRoot.Value, "ops");

    public static string Light => Path.Combine(OnnxRoot.Value, "light");

    /// <summary>Runs <paramref name="net"/> on one input under no_grad; returns the first output as a blob.</summary>
    public static TensorBlob RunOurs(Network net, TensorBlob input)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = input.ToTensor(CPU);
        var y = net.Run(new Dictionary<string, TorchSharp.torch.Tensor> { [net.Inputs[0].Name] = x })[net.Outputs[0]];
        return TensorBlob.From("y", y);
    }

    /// <summary>Runs the serialized model through ONNX Runtime, feeding <paramref name="input"/> to <paramref name="inputName"/>.</summary>
    public static TensorBlob RunOrt(byte[] model, string inputName, TensorBlob input)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(ForOrt(model), options);
        var tensor = new DenseTensor<float>(input.Data, input.Shape.Select(d => (int)d).ToArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
        var output = results.First().AsTensor<float>();
        return new TensorBlob("ort", output.Dimensions.ToArray().Select(d => (long)d).ToArray(), output.ToArray());
    }

    /// <summary>
    /// The model re-declared as opset 7 when it is older (ONNX Runtime 1.31 has no opset-6 kernels for
    /// AveragePool, BatchNormalization, Gemm or PRelu), dropping the attributes opset 7 removed. For these
    /// operators the computation is the same in both opsets.
    /// </summary>
    public static byte[] ForOrt(byte[] model)
    {
        var proto = Ristretto.Interchange.Onnx.Proto.ModelProto.Parser.ParseFrom(model);
        var opset = proto.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx");
        if (opset is null || opset.Version >= 7)
            return model;
        opset.Version = 7;
        foreach (var node in proto.Graph.Node)
            foreach (var dropped in node.Attribute.Where(a => a.Name is "broadcast" or "is_test" or "spatial" or "consumed_inputs").ToList())
                node.Attribute.Remove(dropped);
        return Google.Protobuf.MessageExtensions.ToByteArray(proto);
    }

    /// <summary>The ONNX suite's input for a light model: arange(n).reshape(shape) / n.</summary>
    public static TensorBlob Arange(long[] shape)
    {
        long n = shape.Aggregate(1L, (a, d) => a * d);
        var data = new float[n];
        for (long i = 0; i < n; i++)
            data[i] = (float)((double)i / n);
        return new TensorBlob("x", shape, data);
    }

    /// <summary>Asserts same shape and |actual − expected| ≤ atol + rtol·|expected| everywhere.</summary>
    public static void AssertClose(TensorBlob expected, TensorBlob actual, double rtol = Rtol, double atol = Atol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        int bad = 0, first = -1;
        for (int i = 0; i < expected.Data.Length; i++)
        {
            double e = expected.Data[i], a = actual.Data[i];
            if (!(Math.Abs(a - e) <= atol + rtol * Math.Abs(e)))
            {
                bad++;
                if (first < 0)
                    first = i;
            }
        }
        Assert.True(bad == 0, bad == 0 ? "" : $"{bad} of {expected.Data.Length} values differ; first at {first}: expected {expected.Data[first]}, got {actual.Data[first]}");
    }
}
