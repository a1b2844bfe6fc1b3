using Ristretto.Interchange.Onnx.Importer;
using TorchSharp;
using static TorchSharp.torch;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>Counts live tensors of this thread; runs alone, as the house rules ask of leak tests.</summary>
[CollectionDefinition("onnx-leaks", DisableParallelization = true)]
public sealed class OnnxLeakCollection;

[Collection("onnx-leaks")]
public class OnnxImportLeakTests
{
    [Theory]
    [InlineData("light", "light_inception_v1.onnx")]
    [InlineData("ops", "test_PixelShuffle/model.onnx")]
    [InlineData("ops", "test_Conv1d/model.onnx")]
    public void Should_Leave_No_Tensor_Behind_Once_The_Network_Is_Disposed(string folder, string model)
    {
        string path = Path.Combine(folder == "light" ? OnnxFixtures.Light : OnnxFixtures.Ops, model);
        DisposeScopeManager.Statistics.Reset();
        using (var net = OnnxImporter.Load(path))
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var x = zeros(net.Inputs[0].Shape);
            net.forward(x);
        }
        Assert.Equal(0, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
