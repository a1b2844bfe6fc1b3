using Ristretto.Graph;

namespace Ristretto.Transforms;

/// <summary>
/// One change to a network's structure that compression made, stored in the compressed model file so the
/// architecture can be rebuilt before its weights are loaded: filters removed from a layer (<see cref="Keep"/> the
/// kept output channels, ascending) or a layer factorised at a rank (<see cref="Rank"/>).
/// </summary>
/// <param name="Op"><see cref="PruneFilters"/> or <see cref="LowRank"/>.</param>
/// <param name="Layer">The layer changed.</param>
/// <param name="Keep">The output channels kept (filter pruning).</param>
/// <param name="Rank">The rank kept (low rank).</param>
public sealed record StructureEdit(string Op, string Layer, int[]? Keep = null, int? Rank = null)
{
    /// <summary>The op name of filter pruning.</summary>
    public const string PruneFilters = "prune-filters";

    /// <summary>The op name of a low-rank factorisation.</summary>
    public const string LowRank = "low-rank";

    /// <summary>Applies the edit to <paramref name="network"/>, returning a new network (the source is not changed).</summary>
    public Network Apply(Network network) => Op switch
    {
        PruneFilters => FilterPruning.Apply(network, Layer, Keep ?? throw new RistrettoException($"structure edit on '{Layer}' has no kept filters")),
        LowRank => LowRankFactorization.Apply(network, Layer, Rank ?? throw new RistrettoException($"structure edit on '{Layer}' has no rank")),
        _ => throw new RistrettoException($"unknown structure edit '{Op}' on layer '{Layer}'"),
    };

    /// <summary>Applies <paramref name="edits"/> in order; the intermediate networks are disposed, <paramref name="network"/> is not.</summary>
    public static Network ApplyAll(Network network, IReadOnlyList<StructureEdit> edits)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(edits);
        var current = network;
        foreach (var edit in edits)
        {
            var next = edit.Apply(current);
            if (!ReferenceEquals(current, network))
                current.Dispose();
            current = next;
        }
        return current;
    }
}
