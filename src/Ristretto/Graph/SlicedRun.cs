using static TorchSharp.torch;

namespace Ristretto.Graph;

/// <summary>
/// Evaluation passes that run a batch in slices of a few images, so that the activations stay in the CPU's caches (on
/// this project's 2-core CPU ResNet-18 at batch 32 ran at 21.2 img/s in slices of one image against 6.8 whole; LeNet at
/// 9,400 img/s at batch 1,000 in slices against 360 whole). The nodes from the first one on run slice by slice up to
/// the first layer that <see cref="Layer.CouplesImages"/> (an inner product: its matrix product's bits depend on the
/// number of rows); the blobs there are joined and the rest runs on the whole batch. Every other layer computes each
/// image on its own (a convolution is one matrix product per image), so the outputs are the same bits as a whole pass.
/// This is the one slicing of the project: the float evaluation (<c>EvaluationNetwork</c>), the quantized one
/// (<c>QuantizedNetwork</c>) and the search's float-prefix reuse all run through it.
/// </summary>
public static class SlicedRun
{
    /// <summary>The most input bytes one slice takes by default: 83 LeNet images, or one 224×224 RGB image.</summary>
    public const long DefaultSliceBytes = 256 * 1024;

    /// <summary>Images per slice for <paramref name="input"/> (batch first) under <paramref name="maxSliceBytes"/>: at least one.</summary>
    public static long ImagesPerSlice(Tensor input, long maxSliceBytes)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() == 0)
            return 1;
        long n = Math.Max(1, input.shape[0]);
        long perImage = Math.Max(1, input.numel() / n * input.element_size());
        return Math.Max(1, maxSliceBytes / perImage);
    }

    /// <summary>
    /// A forward pass of a one-input, one-output <paramref name="network"/> (with <paramref name="substitutes"/> run in
    /// place of its layers) in slices of at most <paramref name="maxSliceBytes"/> input bytes; the result belongs to the
    /// caller's dispose scope. Call it without gradients and in eval mode (a batch norm in training mode couples the batch).
    /// </summary>
    public static Tensor Forward(Network network, Tensor input, long maxSliceBytes = DefaultSliceBytes, IReadOnlyDictionary<string, Layer>? substitutes = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(input);
        var known = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [network.Inputs[0].Name] = input };
        using var scope = NewDisposeScope();
        var outputs = Run(network, 0, network.Nodes.Count, known, network.Outputs, substitutes, ImagesPerSlice(input, maxSliceBytes));
        var y = outputs[network.Outputs[0]];
        // An output that is the input itself (a network of no layers) comes back as an alias, never the caller's tensor.
        return (ReferenceEquals(y, input) ? y.alias() : y).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The rest of a pass from node <paramref name="firstNode"/> given the blobs before it (<see cref="Network.RunUntil"/>,
    /// not freed here), in slices of <paramref name="imagesPerSlice"/> images: the network's output.
    /// </summary>
    public static Tensor ForwardFrom(Network network, int firstNode, IReadOnlyDictionary<string, Tensor> frontier, long imagesPerSlice,
        IReadOnlyDictionary<string, Layer>? substitutes = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(frontier);
        foreach (var name in network.Frontier(firstNode))
            if (!frontier.ContainsKey(name))
                throw new RistrettoException($"network {network.Name}: running from node {firstNode} needs blob '{name}'");
        using var scope = NewDisposeScope();
        var y = Run(network, firstNode, network.Nodes.Count, frontier, network.Outputs, substitutes, imagesPerSlice)[network.Outputs[0]];
        return (frontier.Values.Any(t => ReferenceEquals(t, y)) ? y.alias() : y).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="Network.RunUntil"/> in slices of <paramref name="imagesPerSlice"/> images: the float blobs that nodes from
    /// <paramref name="firstNode"/> on read, for the whole batch (in the caller's scope).
    /// </summary>
    public static Dictionary<string, Tensor> Until(Network network, int firstNode, IReadOnlyDictionary<string, Tensor> inputs, long imagesPerSlice)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(inputs);
        var frontier = network.Frontier(firstNode);
        var result = Run(network, 0, firstNode, inputs, frontier, null, imagesPerSlice);
        foreach (var name in frontier.Where(inputs.ContainsKey))
            result[name] = inputs[name].alias();
        return result;
    }

    /// <summary>
    /// Runs nodes [<paramref name="from"/>, <paramref name="to"/>): the ones before the first image-coupling layer slice
    /// by slice, the rest whole. The blobs named in <paramref name="keep"/> come back for the whole batch.
    /// </summary>
    private static Dictionary<string, Tensor> Run(Network network, int from, int to, IReadOnlyDictionary<string, Tensor> known,
        IReadOnlyList<string> keep, IReadOnlyDictionary<string, Layer>? substitutes, long imagesPerSlice)
    {
        var nodes = network.Nodes;
        int end = from;
        while (end < to && !LayerAt(nodes[end], substitutes).CouplesImages)
            end++;
        long n = known.Count > 0 && known.Values.First().dim() > 0 ? known.Values.First().shape[0] : 0;
        // Only evaluation passes slice: a batch norm in training mode, or recorded gradients, see the whole batch.
        bool sliceable = end > from && imagesPerSlice < n && !network.training && !is_grad_enabled() && known.Values.All(t => t.dim() > 0 && t.shape[0] == n);
        if (!sliceable)
            return network.RunNodes(from, to, known, keep, null, substitutes);
        // The blobs the rest needs at `end` (and the kept ones made before it).
        var needed = Needed(network, from, end, to, known, keep);
        long slices = (n + imagesPerSlice - 1) / imagesPerSlice;
        var parts = needed.ToDictionary(b => b, _ => new List<Tensor>(), StringComparer.Ordinal);
        for (long s = 0; s < slices; s++)
        {
            // Slices of near-equal size: no short last slice.
            long start = s * n / slices, count = (s + 1) * n / slices - start;
            var slice = known.ToDictionary(kv => kv.Key, kv => kv.Value.narrow(0, start, count), StringComparer.Ordinal);
            var made = network.RunNodes(from, end, slice, needed, null, substitutes);
            foreach (var b in needed)
                parts[b].Add(made[b]);
        }
        var joined = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var b in needed)
            joined[b] = cat(parts[b], 0);
        foreach (var list in parts.Values)
            foreach (var t in list)
                t.Dispose();
        if (end == to)
            return joined;
        var rest = new Dictionary<string, Tensor>(joined, StringComparer.Ordinal);
        foreach (var kv in known)
            rest.TryAdd(kv.Key, kv.Value);
        var outputs = network.RunNodes(end, to, rest, keep, null, substitutes);
        foreach (var kv in joined)
            if (!outputs.Values.Any(t => ReferenceEquals(t, kv.Value)))
                kv.Value.Dispose();
        return outputs;
    }

    private static Layer LayerAt(LayerNode node, IReadOnlyDictionary<string, Layer>? substitutes) =>
        substitutes != null && substitutes.TryGetValue(node.Layer.LayerName, out var substitute) ? substitute : node.Layer;

    /// <summary>Blobs made by nodes [from, end) that nodes [end, to) read or that are kept.</summary>
    private static List<string> Needed(Network network, int from, int end, int to, IReadOnlyDictionary<string, Tensor> known, IReadOnlyList<string> keep)
    {
        var made = new HashSet<string>(StringComparer.Ordinal);
        for (int i = from; i < end; i++)
            made.UnionWith(network.Nodes[i].Outputs);
        var read = new HashSet<string>(keep, StringComparer.Ordinal);
        for (int i = end; i < to; i++)
            read.UnionWith(network.Nodes[i].Inputs);
        return made.Where(read.Contains).ToList();
    }
}
