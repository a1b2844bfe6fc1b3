using Ristretto.Transforms;
using Ristretto.Graph;
using Ristretto.Layers;
using static TorchSharp.torch;

namespace Ristretto.Evaluation;

/// <summary>
/// A float network made ready for evaluation: batch norms that can be folded are merged into the layer before
/// them (<see cref="BatchNormFolding"/>: layer and blob names stay those of the source, one convolution instead of a
/// convolution and a batch norm per block), and every pass runs under inference mode (no autograd bookkeeping at
/// all) in a oneDNN evaluation scope (<see cref="Engine.OneDnn"/>). A network without a foldable batch norm, or one
/// in training mode, is used as it is. Disposing frees only the folded copy; the source network is borrowed.
/// </summary>
public sealed class EvaluationNetwork : IDisposable
{
    private readonly Network? _folded;

    private EvaluationNetwork(Network source, Network? folded)
    {
        Source = source;
        _folded = folded;
    }

    /// <summary>The network this was made from.</summary>
    public Network Source { get; }

    /// <summary>The network that runs: the folded copy, or the source itself.</summary>
    public Network Network => _folded ?? Source;

    /// <summary>Whether batch norms were folded.</summary>
    public bool Folded => _folded is not null;

    /// <summary>Prepares <paramref name="network"/> (in eval mode) for evaluation.</summary>
    public static EvaluationNetwork Prepare(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.training || !network.Nodes.Any(n => n.Layer is BatchNormLayer))
            return new EvaluationNetwork(network, null);
        var folded = BatchNormFolding.Fold(network);
        if (folded.Nodes.Count == network.Nodes.Count)
        {
            folded.Dispose(); // no batch norm was foldable
            return new EvaluationNetwork(network, null);
        }
        folded.eval();
        return new EvaluationNetwork(network, folded);
    }

    /// <summary>
    /// The most bytes the largest blob of one slice of a pass takes (<see cref="SlicedRun.ImagesPerSlice"/>: at least one
    /// image); 0 runs whole batches. On this project's shared 2-core CPU ResNet-18 at batch 32 ran 1.8× faster in slices of
    /// 16 MiB (5 images) than whole, SqueezeNet 1.1 5.9× (session 7, eval-slices).
    /// </summary>
    public long MaxSliceBytes { get; init; } = SlicedRun.DefaultSliceBytes;

    /// <summary>One forward pass under inference mode and a oneDNN evaluation scope (in slices of <see cref="MaxSliceBytes"/>, the same bits as a whole pass); the result belongs to the caller's dispose scope.</summary>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var mode = inference_mode();
        using var onednn = Engine.OneDnn.Evaluation();
        return MaxSliceBytes > 0 && !Network.training ? SlicedRun.Forward(Network, input, MaxSliceBytes) : Network.forward(input);
    }

    /// <inheritdoc />
    public void Dispose() => _folded?.Dispose();
}
