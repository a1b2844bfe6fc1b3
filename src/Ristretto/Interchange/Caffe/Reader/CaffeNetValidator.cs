using Ristretto.Interchange.Caffe.Proto;

namespace Ristretto.Interchange.Caffe.Reader;

/// <summary>
/// The shape-free structural check of a phase-selected net, done as Caffe's <c>Net::Init</c> does
/// while wiring layers: every layer has a unique name and a type; every bottom is a net input or a
/// top of an earlier layer; a blob is written by one layer only, except that a layer may write a top
/// in place of the bottom in the same position (in-place ReLU, Dropout, BatchNorm).
/// </summary>
internal static class CaffeNetValidator
{
    /// <summary>Checks <paramref name="net"/> and describes its blob flow.</summary>
    /// <param name="net">A net after phase selection (a TRAIN/TEST file holds e.g. two data layers of one name).</param>
    /// <param name="fileName">The prototxt's name, for errors when <paramref name="map"/> has no position.</param>
    /// <param name="map">Positions of the layers in the text, so errors can name the line; may be null.</param>
    /// <exception cref="RistrettoException">The first structural error, naming the layer (and its line).</exception>
    public static CaffeBlobFlow Validate(NetParameter net, string fileName, TextSourceMap? map = null)
    {
        var inputs = ReadInputs(net, fileName);
        var producer = new Dictionary<string, string>(StringComparer.Ordinal);
        var unread = new List<string>();
        foreach (var input in inputs)
        {
            if (!producer.TryAdd(input.Name, "(net input)"))
                throw new RistrettoException($"{fileName}: net input '{input.Name}' is declared twice");
            unread.Add(input.Name);
        }

        var layerAt = new Dictionary<string, LayerParameter>(StringComparer.Ordinal);
        var inPlace = new HashSet<string>(StringComparer.Ordinal);
        for (int index = 0; index < net.Layer.Count; index++)
        {
            LayerParameter layer = net.Layer[index];
            string where = map?.Where(layer) ?? fileName;
            if (layer.Name.Length == 0)
                throw new RistrettoException($"{where}: layer #{index + 1} has no name");
            if (layerAt.TryGetValue(layer.Name, out var first))
                throw new RistrettoException(
                    $"{where}: layer name '{layer.Name}' is used twice in this phase (first at {map?.Where(first) ?? "an earlier layer"})");
            layerAt[layer.Name] = layer;
            if (layer.Type.Length == 0)
                throw new RistrettoException($"{where}: layer '{layer.Name}' has no type");

            foreach (string bottom in layer.Bottom)
            {
                if (!producer.ContainsKey(bottom))
                    throw new RistrettoException(
                        $"{where}: layer '{layer.Name}' ({layer.Type}) reads blob '{bottom}', which no earlier layer produces and no net input declares");
                unread.Remove(bottom);
            }
            for (int j = 0; j < layer.Top.Count; j++)
            {
                string top = layer.Top[j];
                if (j < layer.Bottom.Count && layer.Bottom[j] == top)
                    inPlace.Add(layer.Name);
                else if (producer.TryGetValue(top, out string? earlier))
                    throw new RistrettoException(
                        $"{where}: layer '{layer.Name}' writes blob '{top}', which {Describe(earlier)} already produces; only an in-place layer (top named as its bottom in the same position) may write it again");
                else
                    producer[top] = layer.Name;
                unread.Remove(top);
                unread.Add(top);
            }
        }
        return new CaffeBlobFlow(inputs, unread, inPlace);
    }

    private static string Describe(string producer) =>
        producer == "(net input)" ? "the net input" : $"layer '{producer}'";

    private static List<CaffeNetInput> ReadInputs(NetParameter net, string fileName)
    {
        int count = net.Input.Count;
        if (net.InputShape.Count > 0 && net.InputDim.Count > 0)
            throw new RistrettoException($"{fileName}: the net gives both input_shape and input_dim; give one");
        if (net.InputShape.Count != 0 && net.InputShape.Count != count)
            throw new RistrettoException($"{fileName}: the net declares {count} input(s) but {net.InputShape.Count} input_shape(s)");
        if (net.InputDim.Count != 0 && net.InputDim.Count != 4 * count)
            throw new RistrettoException($"{fileName}: the net declares {count} input(s), so it needs {4 * count} input_dim values, not {net.InputDim.Count}");
        var inputs = new List<CaffeNetInput>(count);
        for (int i = 0; i < count; i++)
        {
            long[]? shape = net.InputShape.Count > 0 ? net.InputShape[i].Dim.ToArray()
                : net.InputDim.Count > 0 ? net.InputDim.Skip(4 * i).Take(4).Select(d => (long)d).ToArray()
                : null;
            inputs.Add(new CaffeNetInput(net.Input[i], shape));
        }
        return inputs;
    }
}
