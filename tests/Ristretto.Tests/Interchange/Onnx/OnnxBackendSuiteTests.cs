using Google.Protobuf;
using Ristretto.Interchange.Onnx.Importer;
using Ristretto.Interchange.Onnx.Proto;
using Xunit.Abstractions;

namespace Ristretto.Tests.Interchange.Onnx;

/// <summary>
/// The quantization and pooling node cases of the ONNX backend suite as Debian's <c>libonnx-testdata</c> installs them
/// (build/install.sh; opsets up to 17). Each case feeds its first input at run time; its other inputs (scales, zero
/// points, weights) become initializers, as they are in a deployed model. The outputs must match the suite's.
/// </summary>
public sealed class OnnxBackendSuiteTests(ITestOutputHelper output)
{
    /// <summary>Where the Debian package puts the node cases.</summary>
    public const string Folder = "/usr/share/libonnx-testdata/data/node";

    /// <summary>Cases refused on import in one line, with a part of that line.</summary>
    private static readonly Dictionary<string, string> Refused = new(StringComparer.Ordinal)
    {
        ["test_maxpool_with_argmax_2d_precomputed_pads"] = "(the indices of the maxima) is read",
        ["test_maxpool_with_argmax_2d_precomputed_strides"] = "(the indices of the maxima) is read",
        ["test_maxunpool_export_with_output_shape"] = "(MaxUnpool) uses an operator this version does not support",
        ["test_maxunpool_export_without_output_shape"] = "(MaxUnpool) uses an operator this version does not support",
        ["test_dynamicquantizelinear"] = "(DynamicQuantizeLinear) uses an operator this version does not support",
        ["test_dynamicquantizelinear_max_adjusted"] = "(DynamicQuantizeLinear) uses an operator this version does not support",
        ["test_dynamicquantizelinear_min_adjusted"] = "(DynamicQuantizeLinear) uses an operator this version does not support",
    };

    private static readonly string[] Prefixes =
    [
        "test_quantizelinear", "test_dequantizelinear", "test_qlinearconv", "test_qlinearmatmul", "test_convinteger", "test_matmulinteger",
        "test_basic_convinteger", "test_dynamicquantizelinear", "test_maxpool", "test_averagepool", "test_globalmaxpool", "test_globalaveragepool",
        "test_maxunpool",
    ];

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        if (!Directory.Exists(Folder))
        {
            data.Add("(suite not installed)");
            return data;
        }
        foreach (var dir in Directory.GetDirectories(Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            if (Prefixes.Any(p => dir!.StartsWith(p, StringComparison.Ordinal)) && !dir!.EndsWith("_expanded", StringComparison.Ordinal) && !Refused.ContainsKey(dir))
                data.Add(dir!);
        return data;
    }

    [OnnxBackendSuiteTheory]
    [MemberData(nameof(Cases))]
    public void Should_Match_The_Suites_Output(string name)
    {
        string dir = Path.Combine(Folder, name);
        var model = WithConstantInputs(dir);
        using var net = OnnxImporter.Load(model.ToByteArray(), name);
        var input = OnnxTensorFile.Read(Path.Combine(dir, "test_data_set_0", "input_0.pb"));
        var expected = OnnxTensorFile.Read(Path.Combine(dir, "test_data_set_0", "output_0.pb"));
        var actual = OnnxFixtures.RunOurs(net, input);
        output.WriteLine($"{name}: [{string.Join("×", expected.Shape)}] expected {string.Join(", ", expected.Data.Take(8))}; ours {string.Join(", ", actual.Data.Take(8))}");
        OnnxFixtures.AssertClose(expected, actual);
    }

    public static TheoryData<string> RefusedCases()
    {
        var data = new TheoryData<string>();
        foreach (var name in Directory.Exists(Folder) ? Refused.Keys.Order(StringComparer.Ordinal).ToArray() : ["(suite not installed)"])
            data.Add(name);
        return data;
    }

    [OnnxBackendSuiteTheory]
    [MemberData(nameof(RefusedCases))]
    public void Should_Refuse_The_Cases_It_Does_Not_Support_In_One_Line(string name)
    {
        var model = WithConstantInputs(Path.Combine(Folder, name));
        var e = Assert.Throws<RistrettoException>(() => OnnxImporter.Load(model.ToByteArray(), name).Dispose());
        output.WriteLine(e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains(Refused[name], e.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{name}: node ", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The case's model with inputs 1.. turned into initializers holding the case's data.</summary>
    private static ModelProto WithConstantInputs(string dir)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
        var graph = model.Graph;
        for (int i = graph.Input.Count - 1; i >= 1; i--)
        {
            var t = TensorProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "test_data_set_0", $"input_{i}.pb")));
            t.Name = graph.Input[i].Name;
            graph.Initializer.Add(t);
            graph.Input.RemoveAt(i);
        }
        return model;
    }
}

/// <summary>A theory over the ONNX backend suite's node cases, skipped (saying how to install them) when they are absent.</summary>
public sealed class OnnxBackendSuiteTheoryAttribute : TheoryAttribute
{
    public OnnxBackendSuiteTheoryAttribute()
    {
        if (!Directory.Exists(OnnxBackendSuiteTests.Folder))
            Skip = $"the ONNX backend suite is not installed at {OnnxBackendSuiteTests.Folder} (Debian's libonnx-testdata; build/install.sh installs it)";
    }
}
