using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Ristretto.Import.Onnx;
using Ristretto.Models;
using Ristretto.Onnx;
using Ristretto.Zoo;
using static TorchSharp.torch;

namespace Ristretto.Tests.Export;

public class LeNetOnnxRoundTripTests
{
    [Fact]
    public void Should_Export_LeNet_To_Onnx_That_Onnx_Runtime_And_Our_Importer_Run_Identically()
    {
        using var net = LeNet.Build(seed: 8);
        byte[] onnx = LeNetOnnxExporter.Export(ModelStore.Capture(LeNet.ArchitectureName, 10, net));
        using var back = OnnxImporter.Load(onnx, "lenet.onnx");
        Assert.Equal(net.parameters().Sum(p => p.numel()), back.parameters().Sum(p => p.numel()));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = rand(4, 1, 28, 28);
        var ours = net.forward(x).data<float>().ToArray();
        Assert.Equal(ours, back.forward(x).data<float>().ToArray());

        using var session = new InferenceSession(onnx);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("data", new DenseTensor<float>(x.data<float>().ToArray(), [4, 1, 28, 28]))]);
        var ort = results[0].AsEnumerable<float>().ToArray();
        Assert.All(ours.Zip(ort), p => Assert.Equal(p.First, p.Second, 4));
    }
}
