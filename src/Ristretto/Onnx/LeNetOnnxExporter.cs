using Google.Protobuf;
using Ristretto.IO;
using Ristretto.Models;
using Ristretto.Zoo;

namespace Ristretto.Onnx;

/// <summary>
/// Writes a LeNet model as a standard ONNX file (Conv, MaxPool, Flatten, Gemm, Relu) that ONNX Runtime
/// and Netron open. The general graph exporter replaces this once networks are graphs (issue 4).
/// </summary>
public static class LeNetOnnxExporter
{
    /// <summary>Serialized ONNX model of <paramref name="model"/> (input "data" [N,1,28,28], output "prob" [N,classes]).</summary>
    public static byte[] Export(ModelData model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Architecture != LeNet.ArchitectureName)
            throw new RistrettoException($"ONNX export here covers LeNet only; this model is '{model.Architecture}'");
        var w = model.Weights.ToDictionary(b => b.Name);
        var g = new OnnxGraphBuilder("lenet");
        g.Input("data", null, 1, 28, 28);
        long[] k2 = [2, 2];
        var x = g.Node("Conv", "conv1", ["data", g.Initializer("conv1.weight", w["conv1.weight"]), g.Initializer("conv1.bias", w["conv1.bias"])], ("kernel_shape", new long[] { 5, 5 }));
        x = g.Node("MaxPool", "pool1", [x], ("kernel_shape", k2), ("strides", k2));
        x = g.Node("Conv", "conv2", [x, g.Initializer("conv2.weight", w["conv2.weight"]), g.Initializer("conv2.bias", w["conv2.bias"])], ("kernel_shape", new long[] { 5, 5 }));
        x = g.Node("MaxPool", "pool2", [x], ("kernel_shape", k2), ("strides", k2));
        x = g.Node("Flatten", "flatten", [x], ("axis", 1L));
        x = g.Node("Gemm", "ip1", [x, g.Initializer("ip1.weight", w["ip1.weight"]), g.Initializer("ip1.bias", w["ip1.bias"])], ("transB", 1L));
        x = g.Node("Relu", "relu1", [x]);
        g.Node("Gemm", "prob", [x, g.Initializer("ip2.weight", w["ip2.weight"]), g.Initializer("ip2.bias", w["ip2.bias"])], ("transB", 1L));
        g.Output("prob", null, model.Classes);
        return g.Build("Ristretto.NET").ToByteArray();
    }

    /// <summary>Writes the ONNX file atomically.</summary>
    public static void Save(ModelData model, string path)
    {
        byte[] bytes = Export(model);
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}
