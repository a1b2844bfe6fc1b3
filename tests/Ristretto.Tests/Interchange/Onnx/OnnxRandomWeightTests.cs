using Google.Protobuf;
using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Interchange.Onnx.Proto;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// Light models with their ConstantOfShape weights replaced by seeded random initializers, run by
/// Ristretto and by ONNX Runtime on the suite's input: the second reference for the numerics.
/// </summary>
public class OnnxRandomWeightTests
{
    [Theory]
    [InlineData("light_bvlc_alexnet")]
    [InlineData("light_squeezenet")]
    public void Should_Agree_With_Onnx_Runtime_On_Random_Weights(string model)
    {
        var bytes = WithRandomWeights(File.ReadAllBytes(Path.Combine(OnnxFixtures.Light, model + ".onnx")), seed: 4);
        using var net = OnnxImporter.Load(bytes, model);
        var input = OnnxFixtures.Arange(net.Inputs[0].Shape);
        var ours = OnnxFixtures.RunOurs(net, input);
        var ort = OnnxFixtures.RunOrt(bytes, net.Inputs[0].Name, input);
        Assert.True(ort.Data.Max() > 1.5 * ort.Data.Min(), "random weights should move the softmax away from uniform");
        OnnxFixtures.AssertClose(ort, ours, atol: 1e-6);
    }

    /// <summary>
    /// Replaces every float ConstantOfShape node by an initializer of uniform values in ±√(6 / fan-in)
    /// (He-style, so activations stay in range through deep nets); biases get ±0.1.
    /// </summary>
    internal static byte[] WithRandomWeights(byte[] model, ulong seed)
    {
        var proto = ModelProto.Parser.ParseFrom(model);
        var graph = proto.Graph;
        var rng = new SplitMix64(seed);
        var shapes = graph.Initializer.ToDictionary(t => t.Name);
        foreach (var node in graph.Node.Where(n => n.OpType == "ConstantOfShape").ToList())
        {
            var shapeTensor = shapes[node.Input[0]];
            long[] shape = shapeTensor.RawData.Length > 0
                ? Enumerable.Range(0, shapeTensor.RawData.Length / 8).Select(i => BitConverter.ToInt64(shapeTensor.RawData.Span.Slice(i * 8, 8))).ToArray()
                : [.. shapeTensor.Int64Data];
            long count = shape.Aggregate(1L, (a, d) => a * d);
            double bound = shape.Length > 1 ? Math.Sqrt(6.0 / (count / shape[0])) : 0.1;
            var values = new float[count];
            for (long i = 0; i < count; i++)
                values[i] = (float)((rng.NextDouble() * 2 - 1) * bound);
            var bytes = new byte[count * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            var init = new TensorProto { Name = node.Output[0], DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(bytes) };
            init.Dims.AddRange(shape);
            graph.Node.Remove(node);
            graph.Initializer.Remove(shapeTensor);
            foreach (var declared in graph.Input.Where(v => v.Name == shapeTensor.Name).ToList())
                graph.Input.Remove(declared);
            graph.Initializer.Add(init);
        }
        return proto.ToByteArray();
    }
}
