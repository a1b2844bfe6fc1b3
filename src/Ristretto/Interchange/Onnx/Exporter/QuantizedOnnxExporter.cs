using Ristretto.Graph;
using Ristretto.IO;
using Ristretto.Quantization;

namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>
/// Writes a network under a <see cref="QuantizationPlan"/> as quantized ONNX in one of three forms
/// (<see cref="QuantizedOnnxForm"/>): QDQ, QOperator or QONNX. Layers the plan leaves in float are written as
/// <see cref="OnnxExporter"/> writes them; the plan's JSON goes into the model's <c>metadata_props</c> under
/// <see cref="PlanKey"/> (the form under <see cref="FormKey"/>). A plan the form cannot express is one
/// <see cref="RistrettoException"/> naming the layer, before anything is written.
/// </summary>
public static class QuantizedOnnxExporter
{
    /// <summary>The metadata key holding the plan file's JSON.</summary>
    public const string PlanKey = QuantizedOnnxMetadata.PlanKey;

    /// <summary>The metadata key holding the form (qdq, qop, qonnx).</summary>
    public const string FormKey = QuantizedOnnxMetadata.FormKey;

    /// <summary>The command-line name of <paramref name="form"/>: qdq, qop, qonnx.</summary>
    public static string Name(QuantizedOnnxForm form) => form switch
    {
        QuantizedOnnxForm.QOperator => "qop",
        QuantizedOnnxForm.Qonnx => "qonnx",
        _ => "qdq",
    };

    /// <summary>The form named <paramref name="name"/> (qdq, qop, qonnx); any other name is one error line.</summary>
    public static QuantizedOnnxForm Parse(string name) => name.ToLowerInvariant() switch
    {
        "qdq" => QuantizedOnnxForm.Qdq,
        "qop" or "qoperator" => QuantizedOnnxForm.QOperator,
        "qonnx" => QuantizedOnnxForm.Qonnx,
        _ => throw new RistrettoException($"unknown --qformat '{name}' (qdq, qop or qonnx)"),
    };

    /// <summary>The serialized model of <paramref name="network"/> (float layers; a carried quantized layer is written through its float layer) under <paramref name="plan"/>.</summary>
    public static byte[] Export(Network network, QuantizationPlan plan, QuantizedOnnxForm form, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        var names = network.Nodes.Select(n => n.Layer.LayerName).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, spec) in plan.Layers)
            if (!spec.IsFloat && !names.Contains(name))
                throw new RistrettoException($"the plan quantizes layer '{name}', which network {network.Name} does not have");
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            [PlanKey] = PlanFile.Serialize(plan),
            [FormKey] = Name(form),
        };
        return OnnxExporter.Export(network, meta, (graph, shapes) => form switch
        {
            QuantizedOnnxForm.QOperator => new QOperatorOnnxWriter(graph, shapes, plan),
            QuantizedOnnxForm.Qonnx => new QonnxWriter(graph, shapes, plan),
            _ => (INetworkOnnxWriter)new QdqOnnxWriter(graph, shapes, plan),
        });
    }

    /// <summary>Writes the model to <paramref name="path"/> atomically (nothing is written on failure).</summary>
    public static void Save(Network network, QuantizationPlan plan, QuantizedOnnxForm form, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        byte[] bytes = Export(network, plan, form, metadata);
        AtomicFile.Write(path, s => s.Write(bytes));
    }
}
