using Ristretto.Interchange.Caffe.Proto;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>
/// Attaches the blobs of a caffemodel to the layers of a prototxt by layer name, as Caffe's
/// <c>CopyTrainedLayersFrom</c> does, but strictly: weights for a layer the prototxt does not
/// have, a parameterised layer without weights, and a blob count that disagrees with the layer's
/// definition are errors. Shapes are left to the graph builder (it knows the input shapes).
/// </summary>
internal static class CaffeWeights
{
    /// <summary>
    /// The blobs of each layer of a caffemodel, by layer name; both the current <c>layer</c> and the
    /// V1 <c>layers</c> field are read (BVLC's released CaffeNet/AlexNet weights use the latter).
    /// Layers without blobs (data, ReLU, loss) are left out.
    /// </summary>
    /// <exception cref="RistrettoException">Two layers with blobs share a name.</exception>
    public static Dictionary<string, IReadOnlyList<BlobProto>> ByLayer(NetParameter model, string modelName)
    {
        var result = new Dictionary<string, IReadOnlyList<BlobProto>>(StringComparer.Ordinal);
        var named = model.Layer.Select(l => (l.Name, (IReadOnlyList<BlobProto>)l.Blobs))
            .Concat(model.Layers.Select(l => (l.Name, (IReadOnlyList<BlobProto>)l.Blobs)));
        foreach (var (name, blobs) in named)
        {
            if (blobs.Count == 0)
                continue;
            if (!result.TryAdd(name, blobs))
                throw new RistrettoException($"{modelName} holds weights for two layers named '{name}'");
        }
        return result;
    }

    /// <summary>
    /// Gives the layers of <paramref name="definition"/> (in place) the caffemodel's blobs, replacing
    /// any blobs they had. A layer name that occurs more than once (e.g. one data layer per phase)
    /// gets the same blobs in each place. Everything is checked before anything is changed.
    /// </summary>
    /// <param name="definition">The parsed prototxt (all phases).</param>
    /// <param name="model">The parsed caffemodel.</param>
    /// <param name="definitionName">The prototxt's file name, for errors.</param>
    /// <param name="modelName">The caffemodel's file name, for errors.</param>
    /// <exception cref="RistrettoException">The two files do not describe the same layers (one line naming the layer).</exception>
    public static void Attach(NetParameter definition, NetParameter model, string definitionName, string modelName)
    {
        var weights = ByLayer(model, modelName);
        var names = definition.Layer.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string name in weights.Keys.Where(n => !names.Contains(n)))
            throw new RistrettoException(
                $"{modelName} has weights for layer '{name}', which {definitionName} does not define; are the two files of the same net?");

        var plan = new List<(LayerParameter Layer, IReadOnlyList<BlobProto> Blobs)>();
        foreach (LayerParameter layer in definition.Layer)
        {
            int? expected = CaffeLayerBlobs.Expected(layer);
            if (!weights.TryGetValue(layer.Name, out var blobs))
            {
                if (expected > 0)
                    throw new RistrettoException(
                        $"layer '{layer.Name}' ({layer.Type}) of {definitionName} has no weights in {modelName}");
                continue;
            }
            if (expected is int count && count != blobs.Count)
                throw new RistrettoException(
                    $"layer '{layer.Name}' ({CaffeLayerBlobs.Explain(layer)}) needs {count} blob(s) but {modelName} holds {blobs.Count}");
            for (int i = 0; i < blobs.Count; i++)
                CaffeBlob.FromProto(blobs[i], $"{modelName}: layer '{layer.Name}' blob {i}");
            plan.Add((layer, blobs));
        }
        foreach (var (layer, blobs) in plan)
        {
            layer.Blobs.Clear();
            layer.Blobs.AddRange(blobs.Select(b => b.Clone()));
        }
    }

    /// <summary>The blobs attached to <paramref name="layer"/> as shapes and float arrays.</summary>
    /// <exception cref="RistrettoException">A blob's value count disagrees with its own shape.</exception>
    public static IReadOnlyList<CaffeBlob> Of(LayerParameter layer) =>
        layer.Blobs.Select((b, i) => CaffeBlob.FromProto(b, $"layer '{layer.Name}' blob {i}")).ToArray();
}
