using Google.Protobuf;
using Ristretto.Engine;
using Ristretto.Formats;
using Ristretto.Graph;
using Ristretto.IO;
using Ristretto.Interchange.Caffe.Data;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.Reader;
using Ristretto.Interchange.Caffe.RistrettoLayers;
using Ristretto.Layers;
using Ristretto.Models;
using Ristretto.Quantization;
using static TorchSharp.torch;

namespace Ristretto.Interchange.Caffe.Writer;

/// <summary>
/// Writes a network as a Caffe deploy prototxt and a caffemodel holding its float weights. With a
/// <see cref="QuantizationPlan"/>, planned convolutions, deconvolutions and inner products become Ristretto's
/// <c>ConvolutionRistretto</c> / <c>DeconvolutionRistretto</c> / <c>FcRistretto</c> with every <c>quantization_param</c>
/// field, as Ristretto's quantize tool wrote them, and planned LRN layers <c>LRNRistretto</c> (minifloat); a part the
/// plan leaves in float32 is written as 32 bits (which the importer reads as "not trimmed"). Both files are written
/// atomically; the importer reads them back.
/// </summary>
public static class CaffeExport
{
    /// <summary>Width written for a part left in float32.</summary>
    public const int FloatBits = 32;

    /// <summary>Writes <paramref name="prototxtPath"/> and, when given, <paramref name="caffemodelPath"/>.</summary>
    public static void Save(Network network, QuantizationPlan? plan, string prototxtPath, string? caffemodelPath)
    {
        ArgumentNullException.ThrowIfNull(network);
        var (definition, weights) = Build(network, plan ?? QuantizationPlan.Float);
        string text = CaffePrototxt.Write(definition);
        byte[]? model = caffemodelPath is null ? null : weights.ToByteArray();
        AtomicFile.WriteText(prototxtPath, text);
        if (caffemodelPath != null)
            AtomicFile.Write(caffemodelPath, s => s.Write(model));
    }

    private static (NetParameter Definition, NetParameter Weights) Build(Network network, QuantizationPlan plan)
    {
        foreach (var name in plan.Layers.Keys)
            _ = network[name]; // a plan naming a missing layer is an error
        var definition = new NetParameter { Name = network.Name };
        var weights = new NetParameter { Name = network.Name };
        foreach (var input in network.Inputs)
        {
            var shape = new BlobShape();
            shape.Dim.AddRange(input.Shape);
            var layer = new LayerParameter { Name = input.Name, Type = "Input", InputParam = new InputParameter() };
            layer.Top.Add(input.Name);
            layer.InputParam.Shape.Add(shape);
            definition.Layer.Add(layer);
        }
        foreach (var node in network.Nodes)
        {
            var source = node.Layer is IQuantizedLayer q ? q.Inner : node.Layer;
            var spec = node.Layer is IQuantizedLayer ql ? ql.Spec : plan.Layers.GetValueOrDefault(source.LayerName);
            var p = Describe(source, spec);
            p.Bottom.AddRange(node.Inputs.Select(b => network.SourceBlobNames[b]));
            p.Top.AddRange(node.Outputs.Select(b => network.SourceBlobNames[b]));
            definition.Layer.Add(p);
            if (source is IWeightedLayer w)
            {
                var stored = new LayerParameter { Name = p.Name, Type = p.Type };
                stored.Blobs.Add(Blob(w.Weight));
                if (w.Bias is { } b)
                    stored.Blobs.Add(Blob(b));
                weights.Layer.Add(stored);
            }
        }
        return (definition, weights);
    }

    private static BlobProto Blob(Tensor t)
    {
        var values = TensorBlob.From("", t);
        return new CaffeBlob(values.Shape, values.Data).ToProto();
    }

    private static LayerParameter Describe(Layer layer, LayerQuantization? spec)
    {
        var p = new LayerParameter { Name = layer.LayerName, Type = layer.Type };
        layer.WriteCaffe(p);
        if (spec is { IsFloat: false } && layer is ConvolutionLayer or DeconvolutionLayer or InnerProductLayer)
        {
            p.Type = layer switch { ConvolutionLayer => "ConvolutionRistretto", DeconvolutionLayer => "DeconvolutionRistretto", _ => "FcRistretto" };
            p.QuantizationParam = RistrettoQuantization.ToProto(spec, layer.LayerName);
        }
        else if (spec is { IsFloat: false } && layer is LrnLayer)
        {
            p.Type = "LRNRistretto";
            p.QuantizationParam = RistrettoQuantization.LrnToProto(spec, layer.LayerName);
        }
        else if (spec is { IsFloat: false })
            throw new RistrettoException($"layer '{layer.LayerName}' ({layer.Type}) cannot carry formats: only {QuantizedLayers.Quantizable} do");
        return p;
    }

}
