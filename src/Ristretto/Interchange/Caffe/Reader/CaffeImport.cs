using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>Public entry point for Caffe models: a prototxt (and optionally its caffemodel) as a <see cref="Network"/>.</summary>
public static class CaffeImport
{
    /// <summary>
    /// Loads the TEST phase (or TRAIN with <paramref name="trainPhase"/>) of <paramref name="prototxt"/> as a
    /// network; weights from <paramref name="caffemodel"/> when given, else Caffe's xavier filler with
    /// <paramref name="seed"/>. Ristretto's quantized layers apply their formats unless
    /// <paramref name="applyQuantization"/> is false (to quantize a Ristretto net anew from its float weights).
    /// Every problem is one <see cref="RistrettoException"/> line.
    /// </summary>
    public static Network Load(string prototxt, string? caffemodel = null, bool trainPhase = false, ulong seed = 1, bool applyQuantization = true)
    {
        if (!File.Exists(prototxt))
            throw new RistrettoException($"prototxt {prototxt} does not exist");
        if (caffemodel != null && !File.Exists(caffemodel))
            throw new RistrettoException($"caffemodel {caffemodel} does not exist");
        var network = CaffeGraphBuilder.Build(CaffeNet.Load(prototxt, caffemodel, trainPhase ? Phase.Train : Phase.Test), seed, applyQuantization);
        if (!trainPhase)
            network.eval(); // a TEST net runs as a test net (Dropout off), as the ONNX importer's networks do
        return network;
    }
}
