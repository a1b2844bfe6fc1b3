namespace Ristretto.Interchange.Onnx.Exporter;

/// <summary>How a quantized network is written as ONNX (<c>export --qformat</c>).</summary>
public enum QuantizedOnnxForm
{
    /// <summary>QuantizeLinear/DequantizeLinear pairs around float operators (ONNX Runtime's QDQ format).</summary>
    Qdq,

    /// <summary>Integer operators on integer tensors: QLinearConv, MatMulInteger with an integer bias and a requantization.</summary>
    QOperator,

    /// <summary>QONNX's <c>Quant</c>/<c>BipolarQuant</c> nodes (domain qonnx.custom_op.general), as FINN and hls4ml read them.</summary>
    Qonnx,
}
