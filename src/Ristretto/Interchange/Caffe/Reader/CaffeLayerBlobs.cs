using Ristretto.Interchange.Caffe.Proto;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>
/// How many parameter blobs a layer of a given type carries, from its prototxt alone (no shapes):
/// the count a caffemodel must supply for it.
/// </summary>
internal static class CaffeLayerBlobs
{
    private static readonly HashSet<string> ConvolutionLike =
        ["Convolution", "Deconvolution", "ConvolutionRistretto", "DeconvolutionRistretto"];

    private static readonly HashSet<string> InnerProductLike = ["InnerProduct", "FcRistretto"];

    private static readonly HashSet<string> Parameterless =
    [
        "Input", "Data", "ImageData", "ReLU", "Sigmoid", "TanH", "ELU", "Pooling", "LRN", "LRNRistretto",
        "Concat", "Eltwise", "Dropout", "Softmax", "SoftmaxWithLoss", "Flatten", "Reshape", "Accuracy",
        "Split", "Silence", "AbsVal", "Power", "Exp", "Log", "BNLL", "Threshold", "Slice", "Crop",
        "ArgMax", "EuclideanLoss", "SigmoidCrossEntropyLoss", "HingeLoss", "MultinomialLogisticLoss",
    ];

    /// <summary>The number of blobs <paramref name="layer"/> expects, or null for a type this project does not know.</summary>
    public static int? Expected(LayerParameter layer)
    {
        string type = layer.Type;
        if (ConvolutionLike.Contains(type))
            return layer.ConvolutionParam is null || layer.ConvolutionParam.BiasTerm ? 2 : 1;
        if (InnerProductLike.Contains(type))
            return layer.InnerProductParam is null || layer.InnerProductParam.BiasTerm ? 2 : 1;
        return type switch
        {
            "BatchNorm" => 3,
            "PReLU" => 1,
            // With two bottoms the scale comes from bottom[1]; only the optional bias is a blob.
            "Scale" => (layer.Bottom.Count >= 2 ? 0 : 1) + (layer.ScaleParam?.BiasTerm == true ? 1 : 0),
            _ => Parameterless.Contains(type) ? 0 : null,
        };
    }

    /// <summary>Describes why the count is what it is, for an error message (e.g. <c>Convolution with bias_term</c>).</summary>
    public static string Explain(LayerParameter layer) => layer.Type switch
    {
        "Convolution" or "Deconvolution" or "ConvolutionRistretto" or "DeconvolutionRistretto" =>
            layer.ConvolutionParam is null || layer.ConvolutionParam.BiasTerm ? $"{layer.Type} with a bias" : $"{layer.Type} without a bias",
        "InnerProduct" or "FcRistretto" =>
            layer.InnerProductParam is null || layer.InnerProductParam.BiasTerm ? $"{layer.Type} with a bias" : $"{layer.Type} without a bias",
        "Scale" => $"Scale with {layer.Bottom.Count} bottom(s), bias_term {(layer.ScaleParam?.BiasTerm == true ? "true" : "false")}",
        _ => layer.Type,
    };
}
