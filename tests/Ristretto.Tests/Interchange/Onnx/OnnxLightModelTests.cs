using System.Diagnostics;
using Ristretto.Interchange.Onnx.Importer;
using Xunit.Abstractions;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// The ONNX suite's light models (real architectures, weights built by ConstantOfShape) at batch 1: they
/// import, run and give the expected (uniform) softmax. Numerics are checked by <see cref="OnnxRandomWeightTests"/>.
/// </summary>
public class OnnxLightModelTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(OnnxFixtures.Light, "*.onnx").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal))
            data.Add(file!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Should_Import_And_Match_The_Expected_Output(string model)
    {
        var clock = Stopwatch.StartNew();
        using var net = OnnxImporter.Load(Path.Combine(OnnxFixtures.Light, model + ".onnx"));
        var imported = clock.Elapsed;
        Assert.Equal(1, net.Inputs[0].Shape[0]);
        var expected = OnnxTensorFile.Read(Path.Combine(OnnxFixtures.Light, model + "_output_0.pb"));
        var actual = OnnxFixtures.RunOurs(net, OnnxFixtures.Arange(net.Inputs[0].Shape));
        output.WriteLine($"{model}: import {imported.TotalSeconds:F2} s, run {(clock.Elapsed - imported).TotalSeconds:F2} s, {net.Nodes.Count} layers");
        OnnxFixtures.AssertClose(expected, actual);
    }

    [Theory]
    [InlineData("light_resnet50")]
    [InlineData("light_squeezenet")]
    public void Should_Run_Other_Batch_Sizes_Than_The_Traced_One(string model)
    {
        // ResNet-50 reshapes to [1, 2048], the batch it was traced with; the importer keeps axis 0 free.
        using var net = OnnxImporter.Load(Path.Combine(OnnxFixtures.Light, model + ".onnx"));
        var shape = net.Inputs[0].Shape.ToArray();
        shape[0] = 3;
        var shapes = net.Validate(new Dictionary<string, long[]> { [net.Inputs[0].Name] = shape });
        Assert.Equal(3, shapes[net.Outputs[0]][0]);
        var batch = OnnxFixtures.RunOurs(net, OnnxFixtures.Arange(shape));
        Assert.Equal(3000, batch.Data.Length);
    }
}
