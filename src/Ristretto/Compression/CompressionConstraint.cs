using Ristretto.Engine;
using Ristretto.Finetuning;
using Ristretto.Graph;
using Ristretto.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Ristretto.Compression;

/// <summary>
/// Deep Compression's pruning and weight sharing as a constraint on fine-tuning. The schedule splits the run into
/// <see cref="CompressionRecipe.Phases"/> equal phases: pruning step k (of S) sets the smallest-magnitude weights of
/// each layer to zero until it keeps (1 − s)^(k/S) of them (s its target sparsity) (or, global, below one threshold over all layers), and keeps
/// a mask: the pruned weights' gradients are zeroed and the weights re-zeroed after every step, so they stay zero.
/// The sharing phase clusters each layer's kept weights with k-means (2^b centroids, linear initialisation); then
/// the gradient of every weight is replaced by the sum of the gradients of its cluster, and after every step each
/// cluster's weights are set to their mean, so a cluster moves as one centroid and pruned weights stay zero.
/// Holds only masks and indices; the weights are the network's.
/// </summary>
public sealed class CompressionConstraint : IWeightConstraint, IDisposable
{
    private readonly List<Slot> _slots = [];
    private readonly CompressionRecipe _recipe;
    private readonly long _iterations;

    /// <summary>A constraint over <paramref name="network"/>'s weights for a run of <paramref name="iterations"/> iterations.</summary>
    public CompressionConstraint(Network network, CompressionRecipe recipe, long iterations)
    {
        ArgumentNullException.ThrowIfNull(network);
        _recipe = recipe ?? throw new ArgumentNullException(nameof(recipe));
        _iterations = iterations;
        foreach (var (name, (sparsity, bits)) in recipe.Targets(network))
            _slots.Add(new Slot(name, ((IWeightedLayer)network[name]).Weight, sparsity, bits));
    }

    /// <summary>Phases applied so far.</summary>
    public int Applied { get; private set; }

    /// <summary>The iteration at which phase <paramref name="phase"/> starts.</summary>
    public long PhaseStart(int phase) => phase * _iterations / _recipe.Phases;

    /// <summary>Told each phase as it is applied (its index and a one-line description).</summary>
    public Action<int, string>? Observer { get; set; }

    /// <inheritdoc />
    public void BeginIteration(long iteration)
    {
        while (Applied < _recipe.Phases && PhaseStart(Applied) <= iteration)
            ApplyPhase(Applied++);
    }

    /// <summary>Applies every phase not applied yet (a run shorter than the phases, or the end).</summary>
    public void ApplyRemaining()
    {
        while (Applied < _recipe.Phases)
            ApplyPhase(Applied++);
    }

    /// <inheritdoc />
    public void ConstrainGradients()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var slot in _slots)
        {
            if (slot.Weight.grad is not { } g)
                continue;
            if (slot.Mask is { } mask)
                g.mul_(mask);
            if (slot.Index is { } index)
            {
                var sums = zeros(slot.Clusters, dtype: g.dtype, device: g.device).scatter_add_(0, index, g.flatten());
                g.copy_(sums.gather(0, index).view_as(g));
                if (slot.Mask is { } m)
                    g.mul_(m);
            }
        }
    }

    /// <inheritdoc />
    public void ConstrainWeights()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var slot in _slots)
            slot.Project();
    }

    /// <summary>The masks and codebooks as stored in a model file (codebooks read from the weights as they stand).</summary>
    public Dictionary<string, LayerCompression> Layers()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var result = new Dictionary<string, LayerCompression>(StringComparer.Ordinal);
        foreach (var slot in _slots)
            result[slot.Name] = slot.Describe();
        return result;
    }

    /// <summary>Restores masks and cluster indices from a checkpoint's section (the weights must be loaded first).</summary>
    public void Restore(CompressionSection section, string path)
    {
        ArgumentNullException.ThrowIfNull(section);
        using var noGrad = no_grad();
        foreach (var slot in _slots)
        {
            if (!section.Layers.TryGetValue(slot.Name, out var stored))
            {
                if (section.Phases > 0)
                    throw new RistrettoException($"{path} holds no mask or codebook for layer '{slot.Name}'");
                continue;
            }
            slot.Restore(stored, path);
        }
        Applied = section.Phases;
    }

    private void ApplyPhase(int phase)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int steps = _recipe.Prune.Count > 0 ? _recipe.PruneSteps : 0;
        if (phase < steps)
        {
            // Geometric in the kept fraction: step k of S keeps (1 − s)^(k/S), so every step removes the same share of
            // what is left (a linear schedule removes most of the weights in its last step).
            double share = (phase + 1.0) / steps;
            if (_recipe.GlobalPrune)
                PruneGlobal(StepSparsity(_recipe.Prune[CompressionRecipe.Every], share));
            else
                foreach (var slot in _slots.Where(s => s.Sparsity is not null))
                    slot.Prune(StepSparsity(slot.Sparsity!.Value, share));
            Observer?.Invoke(phase, $"pruning step {phase + 1} of {steps}: " + string.Join(", ", _slots.Where(s => s.Mask is not null).Select(s => $"{s.Name} {100 * s.Density():F1} %")) + " of the weights kept");
        }
        else if (phase == _recipe.SharePhase)
        {
            foreach (var slot in _slots.Where(s => s.Bits is not null))
                slot.Share();
            Observer?.Invoke(phase, "weight sharing: " + string.Join(", ", _slots.Where(s => s.Bits is not null).Select(s => $"{s.Name} {s.Clusters} centroids")));
        }
    }

    /// <summary>The sparsity of a step <paramref name="share"/> of the way to <paramref name="target"/>: 1 − (1 − target)^share.</summary>
    public static double StepSparsity(double target, double share) => share >= 1 ? target : 1 - Math.Pow(1 - target, share);

    private void PruneGlobal(double sparsity)
    {
        var slots = _slots.Where(s => s.Sparsity is not null).ToList();
        var all = cat(slots.Select(s => s.Weight.detach().abs().flatten()).ToList());
        long keep = all.numel() - (long)Math.Round(all.numel() * sparsity);
        if (keep <= 0)
            throw new RistrettoException($"--prune {sparsity} leaves no weight");
        var threshold = all.topk((int)keep).values.min();
        foreach (var slot in slots)
            slot.SetMask(slot.Weight.detach().abs().ge(threshold));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var slot in _slots)
            slot.Dispose();
    }

    private sealed class Slot(string name, Parameter weight, double? sparsity, int? bits) : IDisposable
    {
        public string Name { get; } = name;
        public Parameter Weight { get; } = weight;
        public double? Sparsity { get; } = sparsity;
        public int? Bits { get; } = bits;
        public Tensor? Mask { get; private set; }      // float 0/1, the weight's shape
        public Tensor? Index { get; private set; }     // int64, flattened, cluster of each weight
        public Tensor? Counts { get; private set; }    // kept members per cluster
        public int Clusters { get; private set; }

        public double Density() => Mask is { } m ? m.sum().item<float>() / m.numel() : 1.0;

        public void Prune(double sparsity)
        {
            long n = Weight.numel();
            long keep = n - (long)Math.Round(n * sparsity);
            var flat = Weight.detach().abs().flatten();
            var mask = zeros_like(flat, dtype: ScalarType.Bool);
            if (keep > 0)
            {
                var indices = flat.topk((int)keep).indexes;
                mask.scatter_(0, indices, ones_like(indices, dtype: ScalarType.Bool));
            }
            SetMask(mask.view_as(Weight));
        }

        public void SetMask(Tensor kept)
        {
            var mask = kept.to(Weight.dtype);
            mask.DetachFromDisposeScope();
            Mask?.Dispose();
            Mask = mask;
            Weight.mul_(Mask);
        }

        public void Share()
        {
            var values = Weight.detach().flatten().cpu().data<float>().ToArray();
            var kept = Mask is { } m ? m.flatten().cpu().data<float>().ToArray() : null;
            var members = Enumerable.Range(0, values.Length).Where(i => kept is null || kept[i] != 0).ToArray();
            var (centroids, assignment) = KMeans1D.Cluster(members.Select(i => values[i]).ToArray(), 1 << Bits!.Value);
            var index = new long[values.Length];
            for (int j = 0; j < members.Length; j++)
                index[members[j]] = assignment[j];
            SetIndex(index, centroids.Length);
            using var c = tensor(centroids, device: Weight.device);
            Weight.copy_(c.gather(0, Index!).view_as(Weight));
            if (Mask is { } mask)
                Weight.mul_(mask);
        }

        /// <summary>Masked weights re-zeroed; each cluster set to its members' mean.</summary>
        public void Project()
        {
            if (Mask is { } mask)
                Weight.mul_(mask);
            if (Index is not { } index)
                return;
            var sums = zeros(Clusters, dtype: Weight.dtype, device: Weight.device).scatter_add_(0, index, Weight.detach().flatten());
            var means = sums.div(Counts!.AtLeast(1));
            Weight.copy_(means.gather(0, index).view_as(Weight));
            if (Mask is { } m)
                Weight.mul_(m);
        }

        public LayerCompression Describe()
        {
            string? mask = Mask is { } m ? LayerCompression.Pack(m.flatten().cpu().data<float>().Select(v => v != 0).ToArray()) : null;
            float[]? book = null;
            if (Index is { } index)
            {
                // Each used cluster's value as its members hold it (all equal), not a recomputed mean.
                var values = Weight.detach().flatten().cpu().data<float>().ToArray();
                var clusters = index.cpu().data<long>().ToArray();
                var kept = Mask is { } mm ? mm.flatten().cpu().data<float>().ToArray() : null;
                var seen = new float?[Clusters];
                for (int i = 0; i < values.Length; i++)
                    if (kept is null || kept[i] != 0)
                        seen[clusters[i]] ??= values[i];
                book = seen.Where(v => v is not null).Select(v => v!.Value).Distinct().Order().ToArray();
            }
            return new LayerCompression(Weight.numel(), mask, book, book is null ? null : Bits);
        }

        public void Restore(LayerCompression stored, string path)
        {
            if (stored.Count != Weight.numel())
                throw new RistrettoException($"{path}: layer '{Name}' has {Weight.numel()} weights, its stored mask {stored.Count}");
            if (stored.Mask is not null)
            {
                using var scope = NewDisposeScope();
                using var kept = tensor(stored.MaskBits(), device: Weight.device).view_as(Weight);
                SetMask(kept);
            }
            if (stored.Codebook is { } book)
            {
                var centroids = book.Select(v => (double)v).Order().ToArray();
                var values = Weight.detach().flatten().cpu().data<float>().ToArray();
                var index = values.Select(v => (long)KMeans1D.Nearest(centroids, v)).ToArray();
                SetIndex(index, centroids.Length);
            }
        }

        private void SetIndex(long[] index, int clusters)
        {
            using var scope = NewDisposeScope();
            var t = tensor(index, device: Weight.device);
            var ones = Mask is { } m ? m.flatten() : ones_like(Weight.detach().flatten());
            // Counts of at least one, so an emptied cluster divides safely (its sum is zero).
            var counts = zeros(clusters, dtype: Weight.dtype, device: Weight.device).scatter_add_(0, t, ones);
            t.DetachFromDisposeScope();
            counts.DetachFromDisposeScope();
            Index?.Dispose();
            Counts?.Dispose();
            (Index, Counts, Clusters) = (t, counts, clusters);
        }

        public void Dispose()
        {
            Mask?.Dispose();
            Index?.Dispose();
            Counts?.Dispose();
        }
    }
}
