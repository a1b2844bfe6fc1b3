namespace Ristretto.Interchange.Onnx;

/// <summary>The <c>metadata_props</c> keys a quantized ONNX export writes and its import reads.</summary>
public static class QuantizedOnnxMetadata
{
    /// <summary>The plan file's JSON (docs/quantize.md): the exact formats, which the import keeps where the graph has the same grid.</summary>
    public const string PlanKey = "ristretto.plan";

    /// <summary>The form written: qdq, qop or qonnx.</summary>
    public const string FormKey = "ristretto.qformat";
}
