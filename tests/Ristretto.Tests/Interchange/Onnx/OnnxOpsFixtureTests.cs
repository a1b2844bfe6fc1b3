using Ristretto.Interchange.Onnx.Importer;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>Every single-operator case of the ONNX backend suite in ../shared/fixtures/onnx/ops.</summary>
public class OnnxOpsFixtureTests
{
    /// <summary>Cases that cannot be supported, with the reason. Empty: every case passes.</summary>
    private static readonly Dictionary<string, string> Skipped = new(StringComparer.Ordinal);

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(OnnxFixtures.Ops).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            if (!Skipped.ContainsKey(dir!))
                data.Add(dir!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_Match_The_Expected_Output(string name)
    {
        string dir = Path.Combine(OnnxFixtures.Ops, name);
        using var net = OnnxImporter.Load(Path.Combine(dir, "model.onnx"));
        var input = OnnxTensorFile.Read(Path.Combine(dir, "test_data_set_0", "input_0.pb"));
        var expected = OnnxTensorFile.Read(Path.Combine(dir, "test_data_set_0", "output_0.pb"));
        OnnxFixtures.AssertClose(expected, OnnxFixtures.RunOurs(net, input));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Should_Agree_With_Onnx_Runtime(string name)
    {
        string dir = Path.Combine(OnnxFixtures.Ops, name);
        var bytes = File.ReadAllBytes(Path.Combine(dir, "model.onnx"));
        using var net = OnnxImporter.Load(bytes, name);
        var input = OnnxTensorFile.Read(Path.Combine(dir, "test_data_set_0", "input_0.pb"));
        var ort = OnnxFixtures.RunOrt(bytes, net.Inputs[0].Name, input);
        OnnxFixtures.AssertClose(ort, OnnxFixtures.RunOurs(net, input));
    }
}
