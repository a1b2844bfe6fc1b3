using Ristretto.Data;
using Ristretto.Engine;
using Ristretto.Graph;
using Ristretto.Interchange.Caffe.Proto;
using Ristretto.Interchange.Caffe.RistrettoLayers;
using Ristretto.Interchange.Caffe.Writer;
using Ristretto.Layers;
using Ristretto.Models;
using Ristretto.Quantization;
using TorchSharp.Modules;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>
/// Turns a phase-selected <see cref="CaffeNet"/> into a <see cref="Network"/>. Weights come from the
/// caffemodel when one was attached, else from Caffe's xavier filler with a fixed seed. Data and Input
/// layers become network inputs (a Data layer's shape is inferred for MNIST, CIFAR-10 and cropped
/// ImageNet sources); Accuracy, loss and Silence layers, which need labels, are left out. Any other layer
/// type the graph lacks is one error naming the layer, its type and its place in the file.
/// Ristretto's <c>ConvolutionRistretto</c>, <c>DeconvolutionRistretto</c> and <c>FcRistretto</c> become <see cref="QuantizedLayer"/>s applying
/// their <c>quantization_param</c>, <c>LRNRistretto</c> a <see cref="QuantizedLrnLayer"/>, or plain float layers when the
/// caller wants to quantize anew.
/// </summary>
internal static class CaffeGraphBuilder
{
    private static readonly HashSet<string> Dropped = new(StringComparer.Ordinal)
        { "Accuracy", "SoftmaxWithLoss", "Silence", "EuclideanLoss", "SigmoidCrossEntropyLoss", "HingeLoss", "InfogainLoss", "MultinomialLogisticLoss" };

    private static readonly HashSet<string> DataTypes = new(StringComparer.Ordinal) { "Data", "ImageData", "Input", "MemoryData", "HDF5Data", "DummyData" };

    /// <summary>Builds the network; <paramref name="seed"/> seeds the filler where the net has no weights.</summary>
    public static Network Build(CaffeNet net, ulong seed = 1, bool applyQuantization = true)
    {
        ArgumentNullException.ThrowIfNull(net);
        var builder = new NetworkBuilder(string.IsNullOrEmpty(net.Name) ? Path.GetFileNameWithoutExtension(net.FileName) : net.Name);
        var rng = new SplitMix64(seed);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var input in net.Flow.Inputs)
        {
            var shape = input.Shape ?? throw new RistrettoException($"{net.FileName}: input '{input.Name}' has no shape (add input_shape)");
            builder.Input(input.Name, shape);
            shapes[input.Name] = shape;
        }
        var dropped = new HashSet<string>(StringComparer.Ordinal); // blobs that only label or loss layers read
        foreach (var layer in net.Layers)
        {
            string where = $"{net.Where(layer)}: layer '{layer.Name}' ({layer.Type})";
            if (DataTypes.Contains(layer.Type))
            {
                var shape = DataShape(layer, where);
                builder.Input(layer.Top[0], shape);
                foreach (var extra in layer.Top.Skip(1))
                    dropped.Add(extra);
                continue;
            }
            if (Dropped.Contains(layer.Type))
                continue;
            if (layer.Bottom.Any(dropped.Contains))
                throw new RistrettoException($"{where} reads labels, which only accuracy and loss layers may");
            Layer built;
            try
            {
                if (layer.Type == "Scale")
                {
                    AddScale(layer, CaffeNet.Blobs(layer), builder);
                    continue;
                }
                var inputs = new CaffeLayerInputs(CaffeNet.Blobs(layer), builder, rng);
                built = CaffeLayerTypes.Create(layer, inputs);
                rng = inputs.Rng;
                if (layer.Type == "LRNRistretto" && applyQuantization)
                {
                    var q = layer.QuantizationParam ?? throw new RistrettoException("has no quantization_param");
                    built = new QuantizedLrnLayer((LrnLayer)built, RistrettoQuantization.LrnFromProto(q), owns: true);
                }
                else if (layer.Type is "ConvolutionRistretto" or "FcRistretto" or "DeconvolutionRistretto" && applyQuantization)
                {
                    var q = layer.QuantizationParam ?? throw new RistrettoException("has no quantization_param");
                    double biasMax = 0;
                    if (built is IWeightedLayer { Bias: { } b })
                        using (TorchSharp.torch.NewDisposeScope())
                            biasMax = b.abs().max().item<float>();
                    built = new QuantizedLayer(built, RistrettoQuantization.FromProto(q, biasMax), owns: true);
                }
            }
            catch (RistrettoException e) when (!e.Message.StartsWith(net.FileName, StringComparison.Ordinal))
            {
                throw new RistrettoException($"{where}: {e.Message}", e);
            }
            builder.Add(built, layer.Bottom, layer.Top);
        }
        return builder.Build();
    }

    private static long[] DataShape(LayerParameter layer, string where)
    {
        if (layer.Type == "Input" && layer.InputParam?.Shape.Count > 0)
            return layer.InputParam.Shape[0].Dim.ToArray();
        string source = (layer.DataParam?.Source ?? layer.ImageDataParam?.Source ?? "").ToLowerInvariant();
        uint crop = layer.TransformParam?.CropSize ?? 0;
        if (crop > 0)
            return [1, 3, crop, crop];
        if (source.Contains("mnist", StringComparison.Ordinal))
            return [1, 1, 28, 28];
        if (source.Contains("cifar", StringComparison.Ordinal))
            return [1, 3, 32, 32];
        throw new RistrettoException($"{where}: cannot tell the input shape from source '{source}'; use an Input layer with input_param {{ shape }}");
    }

    /// <summary>Caffe's Scale (per channel, axis 1): a multiply and, with bias_term, an add, as two graph layers.</summary>
    private static void AddScale(LayerParameter p, IReadOnlyList<CaffeBlob> blobs, NetworkBuilder builder)
    {
        var c = p.ScaleParam ?? new ScaleParameter();
        if (p.Bottom.Count != 1 || p.Top.Count != 1)
            throw new RistrettoException("Scale with a second input (a learned scale from another blob) is not supported");
        var shape = builder.ShapeOf(p.Bottom[0]);
        if (c.Axis != 1 || c.NumAxes != 1 || shape.Length < 2)
            throw new RistrettoException($"only per-channel Scale (axis 1, num_axes 1) is supported, got axis {c.Axis}, num_axes {c.NumAxes}");
        long channels = shape[1];
        long[] broadcast = [channels, .. Enumerable.Repeat(1L, shape.Length - 2)];
        int expected = c.BiasTerm ? 2 : 1;
        if (blobs.Count != 0 && blobs.Count != expected)
            throw new RistrettoException($"has {blobs.Count} blobs, expected {expected}");
        Parameter Values(int i, float fill) => blobs.Count == 0
            ? ParameterInit.Constant(broadcast, fill)
            : ParameterInit.From(new TensorBlob("scale", blobs[i].Shape, blobs[i].Data), broadcast, p.Name, i == 0 ? "scale blob" : "bias blob");
        builder.Add(new BroadcastLayer(p.Name, BroadcastLayer.Operation.Multiply, Values(0, 1)), p.Bottom, p.Top);
        if (c.BiasTerm)
            builder.Add(new BroadcastLayer(p.Name + "/bias", BroadcastLayer.Operation.Add, Values(1, 0)), p.Top, p.Top);
    }
}
