using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace Ristretto.Graph;

/// <summary>
/// Evaluation passes that run a batch in slices of a few images, so that no activation buffer outgrows the heap's reuse
/// (on this project's 2-core CPU ResNet-18 at batch 32 ran 1.4–1.5× faster in slices of 4–16 images than of one, and
/// 1.8–1.9× faster than whole, where its 103 MB activations came from fresh, page-faulted mappings: docs/performance.md).
/// The nodes from the first one on run slice by slice up to
/// the first layer that <see cref="Layer.CouplesImages"/> (an inner product: its matrix product's bits depend on the
/// number of rows); the blobs there are joined and the rest runs on the whole batch. Every other layer computes each
/// image on its own (a convolution is one matrix product per image), so the outputs are the same bits as a whole pass.
/// This is the one slicing of the project: the float evaluation (<c>EvaluationNetwork</c>), the quantized one
/// (<c>QuantizedNetwork</c>) and the search's float-prefix reuse all run through it.
/// </summary>
public static class SlicedRun
{
    /// <summary>
    /// The most bytes the largest blob of one slice takes by default: half the 32 MiB up to which the heap keeps and reuses
    /// freed buffers (<see cref="Engine.TorchRuntime.HeapBufferLimit"/>); 5 ResNet-18 images (conv1's 64×112×112 output),
    /// 364 LeNet images (conv1's 20×24×24). eval-slices (session 7) found every zoo network at or near its best between 4 and 8
    /// images of 224×224, and MobileNetV2 and GoogLeNet 2.8–3× slower at 16, where their largest blobs reach 51–77 MB.
    /// </summary>
    public const long DefaultSliceBytes = 16L << 20;

    /// <summary>
    /// Images per slice of <paramref name="network"/>'s pass over <paramref name="input"/> (its first input, batch first) such
    /// that the largest blob of a slice takes at most <paramref name="maxSliceBytes"/>: at least one. Blob sizes come from the
    /// network's shape inference; where that fails for this input the input's own size per image stands in.
    /// </summary>
    public static long ImagesPerSlice(Network network, Tensor input, long maxSliceBytes)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() == 0)
            return 1;
        return Math.Max(1, maxSliceBytes / Math.Max(1, LargestBlobPerImage(network, input)));
    }

    private static readonly ConditionalWeakTable<Network, StrongBox<(long[] Image, long Bytes)>> Largest = new();

    /// <summary>Bytes of the largest blob one image of <paramref name="input"/> makes in <paramref name="network"/> (remembered per image shape).</summary>
    private static long LargestBlobPerImage(Network network, Tensor input)
    {
        long[] image = input.shape.Skip(1).ToArray();
        var known = Largest.GetOrCreateValue(network);
        lock (known)
        {
            if (known.Value.Image is { } seen && seen.SequenceEqual(image))
                return known.Value.Bytes;
        }
        long bytes = input.numel() / Math.Max(1, input.shape[0]) * input.element_size();
        try
        {
            var shapes = network.Validate(new Dictionary<string, long[]>(StringComparer.Ordinal) { [network.Inputs[0].Name] = [1, .. image] });
            bytes = Math.Max(bytes, shapes.Values.Max(s => s.Aggregate(1L, (a, d) => a * d)) * input.element_size());
        }
        catch (RistrettoException)
        {
            // the pass itself will say what is wrong with this input
        }
        lock (known)
            known.Value = (image, bytes);
        return bytes;
    }

    /// <summary>
    /// A forward pass of a one-input, one-output <paramref name="network"/> (with <paramref name="substitutes"/> run in
    /// place of its layers) in slices whose largest blob takes at most <paramref name="maxSliceBytes"/> (<see cref="ImagesPerSlice"/>); the result belongs to the
    /// caller's dispose scope. Call it without gradients and in eval mode (a batch norm in training mode couples the batch).
    /// </summary>
    public static Tensor Forward(Network network, Tensor input, long maxSliceBytes = DefaultSliceBytes, IReadOnlyDictionary<string, Layer>? substitutes = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(input);
        var known = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [network.Inputs[0].Name] = input };
        using var scope = NewDisposeScope();
        var outputs = Run(network, 0, network.Nodes.Count, known, network.Outputs, substitutes, ImagesPerSlice(network, input, maxSliceBytes));
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
